"""fuelbot's Slack edge: Slack JSON starts and stops here.

    slack_app      the Bolt app: /fuel and buttons → ``commands`` invocations → acks
    render         neutral replies and outbox bodies → Block Kit (and plain text)
    delivery       the outbox drained to Slack: ordered, threaded, edited, throttled, 429-safe
    web            WSGI: /slack/events, /healthz, /metrics; HTTP server and Socket Mode
    metrics        Prometheus counters, histogram and database gauges
    slack_client   the metered WebClient recipe; usergroups: cached group membership
    local_slack    Slack's Web API on 127.0.0.1 with a channel model (console and tests)
    console        a Slack channel in a terminal, talking to the bot over signed HTTP
    slack_requests requests built and signed the way Slack sends them
"""
