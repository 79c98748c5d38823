#!/usr/bin/env python3
"""Reference implementation of the OLD CloudTrail analyzer's counting.

The new analyzer's legacy counts (the eight top-level keys of
insights.json) must equal what this prints for the same input.
Standard library only.

    reference_analyzer.py [--csv FILE] PATH [PATH ...]

Each PATH is a file, or a directory searched recursively (in sorted order).
A file is gunzipped when it starts with the gzip magic bytes 1f 8b, then
read whole with json.load. A file without a top-level "Records" key, such
as a CloudTrail-Digest file, is skipped with a note on stderr, as is a file
that is not JSON. Every record then updates the counters exactly as the old
analyzer did (see count(), the old loop itself):

- eventName: record["eventName"], always counted; a missing one raises.
- resources[].type: every element of record.get("resources", []); a missing
  or null type counts under "null"; resources that is null, a number or a
  non-empty string or object, or an element that is not an object, raises.
- userIdentity.type: record.get("userIdentity", {}).get("type", "Unknown"),
  always counted; a userIdentity that is not an object raises.
- awsRegion, sourceIPAddress, eventType, eventCategory: counted only when
  truthy (missing, null, "", false, 0 and empty containers are not counted).
- total_events: every record.
- A value that cannot be a dict key (a non-empty object or list) raises.

--null-for-missing-event-name reads eventName with record.get instead, which
is what the new analyzer does (CloudTrail Insights events have no top-level
eventName, so the old loop raised on every trail with Insights).

Like the old analyzer, a record that raises stops the run with a traceback;
with --keep-going the file it is in is reported on stderr as
"raised: PATH: <exception>", contributes nothing, and the run goes on.

Output: one line of JSON on stdout, keys sorted. None counts under "null",
which is the key json.dumps gives it. (json.dumps with sort_keys=True cannot
sort None beside strings, so keys are converted first, the way json.dumps
converts them.)

--csv FILE also writes the event counts as CSV: an "event_name,count"
header, then one row per event name, most frequent first, ties by name.

Note: json.load holds a whole file in memory as Python objects, roughly
8-10 times its JSON size: a 1 GB consolidated file needs about 10 GB of RAM.
"""

import argparse
import collections
import csv
import gzip
import json
import os
import sys

DIMENSIONS = (
    "event_counts",
    "resource_counts",
    "account_counts",
    "region_counts",
    "source_ip_counts",
    "event_type_counts",
    "event_category_counts",
)


def input_files(paths):
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    yield os.path.join(root, name)
        else:
            yield path


def load(path):
    with open(path, "rb") as raw:
        magic = raw.read(2)
    opener = gzip.open if magic == b"\x1f\x8b" else open
    with opener(path, "rb") as fh:
        return json.load(fh)


def count(records, counters, event_name=lambda record: record['eventName']):
    """The old analyzer's loop, unchanged but for how eventName is read."""
    (event_counts, resource_counts, account_counts, region_counts,
     source_ip_counts, event_type_counts, event_category_counts) = counters
    total_events = 0
    for record in records:
        event_counts[event_name(record)] += 1
        for resource in record.get('resources', []):
            resource_counts[resource.get('type')] += 1
        account_counts[record.get('userIdentity', {}).get('type', 'Unknown')] += 1
        region = record.get('awsRegion')
        if region:
            region_counts[region] += 1
        source_ip = record.get('sourceIPAddress')
        if source_ip:
            source_ip_counts[source_ip] += 1
        event_type = record.get('eventType')
        if event_type:
            event_type_counts[event_type] += 1
        event_category = record.get('eventCategory')
        if event_category:
            event_category_counts[event_category] += 1
        total_events += 1
    return total_events


def json_key(key):
    """The string json.dumps makes of a dict key."""
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, (bool, int, float)):
        return json.dumps(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def as_json_object(counter):
    out = {}
    for key, n in counter.items():
        k = json_key(key)
        # A literal "null" string and None land on the same key, as they do
        # in json.dumps output (there as a duplicate key); here they add up.
        out[k] = out.get(k, 0) + n
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", metavar="PATH", help="log file or directory")
    parser.add_argument("--csv", metavar="FILE", help="also write event_name,count rows to FILE")
    parser.add_argument("--null-for-missing-event-name", action="store_true",
                        help="count a record without eventName under null, as the new analyzer "
                             "does, where the old one raised (Insights events have none)")
    parser.add_argument("--keep-going", action="store_true",
                        help="report a file on which the old loop raised and go on without it")
    args = parser.parse_args(argv)

    counters = tuple(collections.Counter() for _ in DIMENSIONS)
    event_name = (lambda record: record.get('eventName')) if args.null_for_missing_event_name \
        else (lambda record: record['eventName'])
    total_events = 0
    for path in input_files(args.paths):
        try:
            data = load(path)
        except (OSError, ValueError, EOFError) as e:
            print(f"skipping {path}: cannot read it as JSON: {e}", file=sys.stderr)
            continue
        if not isinstance(data, dict) or "Records" not in data:
            print(f"skipping {path}: no \"Records\" key (not a CloudTrail log file)", file=sys.stderr)
            continue
        if not args.keep_going:
            total_events += count(data["Records"], counters, event_name)
            continue
        # Count the file apart, so one that raises contributes nothing.
        mine = tuple(collections.Counter() for _ in DIMENSIONS)
        try:
            events = count(data["Records"], mine, event_name)
        except Exception as e:  # the old loop's KeyError, TypeError, AttributeError
            print(f"raised: {path}: {type(e).__name__}: {e}", file=sys.stderr)
            continue
        total_events += events
        for ours, theirs in zip(counters, mine):
            ours.update(theirs)

    result = {name: as_json_object(c) for name, c in zip(DIMENSIONS, counters)}
    result["total_events"] = total_events
    print(json.dumps(result, sort_keys=True))

    if args.csv:
        events = as_json_object(counters[0])
        with open(args.csv, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["event_name", "count"])
            for name, n in sorted(events.items(), key=lambda kv: (-kv[1], kv[0])):
                writer.writerow([name, n])
    return 0


if __name__ == "__main__":
    sys.exit(main())
