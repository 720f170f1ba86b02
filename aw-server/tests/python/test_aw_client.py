"""End-to-end check of aw-server with the official Python client (PyPI `aw-client`).

Usage: AW_SERVER_URL=http://127.0.0.1:5666 python test_aw_client.py
   or: python test_aw_client.py --host 127.0.0.1 --port 5666

Exercises what watchers and scripts do: create_bucket (twice: the 304 must not
raise), heartbeat with pulsetime, insert_event(s), get_events (with start/end),
get_eventcount, a desktop-style query, export, settings, delete. Exits non-zero
on the first failed assertion.
"""

import argparse
import os
import sys
from datetime import datetime, timedelta, timezone
from urllib.parse import urlparse

from aw_client import ActivityWatchClient
from aw_core.models import Event

CHECKS = 0


def check(condition, message):
    global CHECKS
    CHECKS += 1
    if not condition:
        print(f"FAIL: {message}", file=sys.stderr)
        sys.exit(1)


def server_address():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    args = parser.parse_args()
    if args.host and args.port:
        return args.host, args.port
    url = os.environ.get("AW_SERVER_URL")
    if not url:
        parser.error("set AW_SERVER_URL or pass --host and --port")
    parsed = urlparse(url)
    return parsed.hostname, parsed.port


def durations(events):
    return [e.duration.total_seconds() for e in events]


def main():
    host, port = server_address()
    client = ActivityWatchClient("aw-server-e2e", testing=True, host=host, port=port)
    info = client.get_info()
    check(info["version"].endswith("(rust)"), f"version {info['version']}")

    window = "aw-watcher-window_e2ehost"
    afk = "aw-watcher-afk_e2ehost"
    client.create_bucket(window, "currentwindow")
    client.create_bucket(window, "currentwindow")  # exists: 304, must not raise
    client.create_bucket(afk, "afkstatus")
    check(set(client.get_buckets()) == {window, afk}, "bucket list")

    t0 = datetime(2024, 1, 1, 10, 0, tzinfo=timezone.utc)
    for second in range(5):
        client.heartbeat(window, Event(timestamp=t0 + timedelta(seconds=second), data={"app": "Firefox"}), pulsetime=2)
    events = client.get_events(window)
    check(len(events) == 1 and durations(events) == [4.0], f"heartbeats merged: {events}")

    client.insert_event(window, Event(timestamp=t0 + timedelta(seconds=10), duration=60, data={"app": "Code"}))
    client.insert_events(window, [
        Event(timestamp=t0 + timedelta(seconds=70), duration=30, data={"app": "Firefox"}),
        Event(timestamp=t0 + timedelta(seconds=100), duration=20, data={"app": "Terminal"}),
    ])
    client.insert_event(afk, Event(timestamp=t0, duration=3600, data={"status": "not-afk"}))
    events = client.get_events(window)
    check([e.data["app"] for e in events] == ["Terminal", "Firefox", "Code", "Firefox"], "newest first")
    check(all(e.id is not None for e in events), "ids present")
    check(client.get_eventcount(window) == 4, "count")
    ranged = client.get_events(window, start=t0 + timedelta(seconds=65), end=t0 + timedelta(seconds=80))
    check(durations(ranged) == [10.0, 5.0], f"clipped range {durations(ranged)}")
    check(len(client.get_events(window, limit=2)) == 2, "limit")

    query = "\n".join([
        'events = flood(query_bucket(find_bucket("aw-watcher-window_")));',
        'not_afk = flood(query_bucket(find_bucket("aw-watcher-afk_")));',
        'not_afk = filter_keyvals(not_afk, "status", ["not-afk"]);',
        "events = filter_period_intersect(events, not_afk);",
        'events = merge_events_by_keys(events, ["app"]);',
        "RETURN = sort_by_duration(events);",
    ])
    result = client.query(query, [(t0, t0 + timedelta(hours=1))])
    apps = [event["data"]["app"] for event in result[0]]
    check(apps[0] == "Code" and set(apps) == {"Code", "Firefox", "Terminal"}, f"query result {result}")
    check(sum(event["duration"] for event in result[0]) > 0, "query durations")

    export = client.export_all()
    check(len(export["buckets"][window]["events"]) == 4, "export all")
    single = client.export_bucket(window)
    check(list(single["buckets"]) == [window], "export bucket")

    client.set_setting("e2e", {"theme": "dark"})
    check(client.get_setting("e2e") == {"theme": "dark"}, "setting read back")
    check(client.get_setting()["e2e"] == {"theme": "dark"}, "settings list")

    client.delete_bucket(window)
    check(window not in client.get_buckets(), "bucket deleted")
    print(f"OK: {CHECKS} checks passed against {host}:{port}")


if __name__ == "__main__":
    main()
