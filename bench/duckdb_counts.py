#!/usr/bin/env python3
"""The old analyzer's eight counts, computed by DuckDB, for the benchmark.

    duckdb_counts.py [--maximum-object-size BYTES] [--threads N] [--memory-limit SIZE]
                     PATH [PATH ...]

Each PATH is a CloudTrail log file ({"Records":[...]}, plain or gzip) or a
directory, read recursively as DIR/**/*.json.gz. DuckDB's read_json reads
each file as ONE JSON object, keeps from each record only the fields that
are counted, and the Records array is unnested. Files without a "Records"
key (CloudTrail-Digest files) contribute nothing.

--maximum-object-size must exceed the largest file's JSON. DuckDB allows at
most 4 GiB - 1 and reserves about twice that per reading thread against its
memory limit, so the default is 2 GiB - 1 when a single file is given (room
for a 1 GB consolidated file) and DuckDB's own 16 MiB for folders (many
small log files read in parallel).

Output: one line of JSON on stdout, the shape bench/reference_analyzer.py
prints (the seven *_counts objects and total_events, keys sorted; a missing
or null eventName or resource type counts under "null", a missing
userIdentity.type under "Unknown", and awsRegion, sourceIPAddress, eventType
and eventCategory only when present and not empty; the fields are read as
text, so false and 0 there, which never occur in the benchmark's inputs, would
count), so the benchmark can compare it key for key.

On a failure (DuckDB cannot read an input, runs out of memory, ...) it
prints "failed: <reason>" on stderr and exits with status 3.

Needs the duckdb package (pip install duckdb).
"""

import argparse
import json
import os
import sys

# Only the counted fields are declared. userIdentity and resources stay JSON
# so that a missing "type" (-> "Unknown" / "null") is told apart exactly as
# the reference does; every other field a record has is ignored.
RECORD_TYPE = (
    "STRUCT(eventName VARCHAR, awsRegion VARCHAR, sourceIPAddress VARCHAR, "
    "eventType VARCHAR, eventCategory VARCHAR, userIdentity JSON, resources JSON)[]"
)

# One streaming pass: every record becomes a list of (dimension, key) pairs,
# one per dimension plus one per resource, and the pairs are counted.
QUERY = """
WITH records AS (
    SELECT unnest(Records) AS r
    FROM read_json({files}, format = 'unstructured', compression = 'auto_detect',
                   columns = {{'Records': '{record_type}'}},
                   maximum_object_size = {max_object})
),
pairs AS (
    SELECT unnest(list_concat(
        [
            {{'dim': 'event_counts',          'key': r.eventName}},
            {{'dim': 'account_counts',        'key': CASE
                WHEN r.userIdentity IS NOT NULL AND json_exists(r.userIdentity, '$.type')
                THEN r.userIdentity ->> '$.type' ELSE 'Unknown' END}},
            {{'dim': 'region_counts',         'key': r.awsRegion}},
            {{'dim': 'source_ip_counts',      'key': r.sourceIPAddress}},
            {{'dim': 'event_type_counts',     'key': r.eventType}},
            {{'dim': 'event_category_counts', 'key': r.eventCategory}}
        ],
        coalesce(
            [{{'dim': 'resource_counts', 'key': x ->> '$.type'}}
             for x in from_json(r.resources, '["JSON"]')],
            [])
    )) AS p
    FROM records
)
SELECT p.dim, p.key, count(*) AS n FROM pairs
-- The old analyzer counted these four only when truthy.
WHERE NOT (p.dim IN ('region_counts', 'source_ip_counts', 'event_type_counts',
                     'event_category_counts')
           AND coalesce(p.key, '') = '')
GROUP BY ALL
"""

DIMENSIONS = (
    "event_counts",
    "resource_counts",
    "account_counts",
    "region_counts",
    "source_ip_counts",
    "event_type_counts",
    "event_category_counts",
)


def sql_string(s):
    return "'" + s.replace("'", "''") + "'"


def sources(paths):
    out = []
    for path in paths:
        if os.path.isdir(path):
            out.append(os.path.join(path, "**", "*.json.gz"))
        elif os.path.exists(path):
            out.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or directory")
    return out


def counts(paths, threads=None, memory_limit=None, max_object=None):
    import duckdb  # imported here so a missing package is reported as a failure

    con = duckdb.connect(":memory:")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if memory_limit:
        con.execute(f"SET memory_limit = {sql_string(memory_limit)}")
    con.execute("SET preserve_insertion_order = false")
    if max_object is None:
        single = len(paths) == 1 and not os.path.isdir(paths[0])
        max_object = 2**31 - 1 if single else 16 * 2**20
    files = "[" + ", ".join(sql_string(s) for s in sources(paths)) + "]"
    sql = QUERY.format(files=files, record_type=RECORD_TYPE, max_object=int(max_object))
    rows = con.execute(sql).fetchall()

    result = {name: {} for name in DIMENSIONS}
    for dim, key, n in rows:
        k = "null" if key is None else key  # json.dumps(None) as a key
        result[dim][k] = result[dim].get(k, 0) + n
    result["total_events"] = sum(result["event_counts"].values())
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", metavar="PATH", help="log file or directory")
    parser.add_argument("--maximum-object-size", type=int, metavar="BYTES",
                        help="read_json's maximum_object_size [default: 2 GiB - 1 for one file, "
                             "16 MiB for folders]")
    parser.add_argument("--threads", type=int, help="DuckDB threads [default: DuckDB's, the cores]")
    parser.add_argument("--memory-limit", help="DuckDB memory_limit, e.g. 8GB [default: DuckDB's]")
    args = parser.parse_args(argv)
    try:
        result = counts(args.paths, args.threads, args.memory_limit, args.maximum_object_size)
    except Exception as e:  # noqa: BLE001 - any failure is a benchmark result
        reason = " ".join(str(e).split()) or type(e).__name__
        print(f"failed: {type(e).__name__}: {reason}", file=sys.stderr)
        return 3
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
