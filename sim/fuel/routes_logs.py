"""Nailgun 6.0's log routes, the logs package, and nginx's ``/dump`` downloads.

Validation follows fuel-web 6.0 ``nailgun/api/v1/handlers/logs.py``
(``LogEntryCollectionHandler.read_and_validate_data``) check by check and message by message.
Where 6.0 would crash (a node id that is not a number reaches PostgreSQL as is), the simulator
answers the nearest 6.0 refusal instead of a 500.
"""
from __future__ import annotations

import copy
import time as _time
from typing import Any

from sim.fuel import log_sources
from sim.fuel.engine import Engine
from sim.fuel.errors import HttpError, bad_request
from sim.fuel.logbook import LogFile, read_log
from sim.fuel.router import Request, Response, Router, ok
from sim.fuel.state import node_log_dir

# nginx's stock 404 page: /dump is a plain alias, Nailgun never sees the request.
_NGINX_404 = (b"<html>\r\n<head><title>404 Not Found</title></head>\r\n<body bgcolor=\"white\">\r\n"
              b"<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx/1.6.2</center>\r\n</body>\r\n</html>\r\n")


def _int(req: Request, name: str, default: int, label: str) -> int:
    raw = req.arg(name)
    try:
        return default if raw is None else int(raw)
    except ValueError:
        raise bad_request(f"Invalid '{label}' value") from None


def _date(req: Request, name: str) -> None:
    """6.0 checks date_before/date_after and then ignores them (read_log takes them as **kwargs)."""
    raw = req.arg(name)
    if raw:
        try:
            _time.strptime(raw, log_sources.UI_DATE_FORMAT)
        except ValueError:
            raise bad_request(f"Invalid '{name}' value") from None


def register(router: Router, engine: Engine) -> None:
    state = engine.state

    def sources(req: Request) -> Response:
        return ok(copy.deepcopy(log_sources.LOGS))

    def node_sources(req: Request) -> Response:
        """The remote sources whose file exists for the node (LogSourceByNodeCollectionHandler)."""
        node = state.node(req.id("node_id"))
        files = state.logbook.remote.get(node_log_dir(node), {})
        return ok([copy.deepcopy(s) for s in log_sources.LOGS
                   if s["remote"] and not s.get("fake") and s["path"] in files])

    def entries(req: Request) -> Response:
        if not req.arg("source"):
            raise bad_request("'source' must be specified")
        max_entries = _int(req, "max_entries", log_sources.TRUNCATE_LOG_ENTRIES, "max_entries")
        from_byte = _int(req, "from", -1, "from")
        to_byte = _int(req, "to", 0, "to")
        fetch_older = (req.arg("fetch_older") or "").lower() in ("1", "true")
        _date(req, "date_before")
        _date(req, "date_after")
        config = log_sources.BY_ID.get(str(req.arg("source")))
        if config is None or config.get("fake"):      # Nailgun runs without FAKE_TASKS on a master
            raise HttpError(404, "Log source not found")
        log = _file(config, req.arg("node"))
        level = req.arg("level")
        if level is not None and level not in config["levels"]:
            raise bad_request("Invalid level")
        return ok(read_log(log, config, level=level, max_entries=max_entries, from_byte=from_byte,
                           to_byte=to_byte, fetch_older=fetch_older))

    def _file(config: dict[str, Any], node_arg: str | None) -> LogFile:
        if not config["remote"]:
            return state.logbook.master[config["id"]]
        if not node_arg:
            raise bad_request("'node' must be specified")
        node = state.nodes.get(int(node_arg)) if node_arg.isdigit() else None
        if node is None:
            raise HttpError(404, "Node not found")
        files = state.logbook.remote.get(node_log_dir(node))
        if files is None:
            raise HttpError(404, "Log files dir for node not found")
        if config["path"] not in files:
            raise HttpError(404, "Log file not found")
        return files[config["path"]]

    def package(req: Request) -> Response:
        return ok(engine.dumps.start(engine.now()).to_json(), 202)

    def download(req: Request) -> Response:
        data = state.dump_files.get(req.params["name"])
        if data is None:
            return Response(404, raw=_NGINX_404, headers={"Content-Type": "text/html"})
        return Response(200, raw=data, headers={"Content-Type": "application/octet-stream"})

    router.add("GET", "/api/logs/sources", sources)
    router.add("GET", "/api/logs/sources/nodes/{node_id:int}", node_sources)
    router.add("GET", "/api/logs", entries)
    router.add("PUT", "/api/logs/package", package)
    router.add("GET", "/dump/{name}", download, public=True)
