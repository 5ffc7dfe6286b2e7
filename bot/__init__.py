"""fuelbot's Slack edge: Slack JSON starts and stops here.

    slack_app      the Bolt app: /fuel and buttons → ``commands`` invocations → acks
    render         neutral replies and outbox bodies → Block Kit (and plain text)
    delivery       the outbox drained to Slack: ordered, threaded, edited, throttled, 429-safe
    web            WSGI: /slack/events, /healthz, /metrics; HTTP server and Socket Mode
    socket_mode    Socket Mode that notices dead links and handles each disconnect reason
    metrics        Prometheus counters, histogram and database gauges
    slack_client   the metered WebClient recipe; usergroups: cached group membership

LocalSlack, the console and Slack-shaped test requests live in ``sim/slack`` and ``sim/console``.
"""
