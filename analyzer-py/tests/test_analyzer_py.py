"""Unit tests of analyzer-py's pure Python, run natively:
python3 -m unittest discover -s analyzer-py/tests
(the host's tests run them too, then the built component)."""

import gzip
import io
import json
import os
import sys
import unittest
from contextlib import redirect_stderr, redirect_stdout

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import cli  # noqa: E402
import config  # noqa: E402
import consolidation  # noqa: E402
import ctlog  # noqa: E402
import insights  # noqa: E402
from rules import RULE_IDS  # noqa: E402


def log(*records, raw=None):
    text = raw if raw is not None else json.dumps({"Records": list(records)})
    return text.encode()


def settings(text=""):
    return config.parse(text, RULE_IDS)


ROOT_CALL = {
    "eventID": "e1",
    "eventTime": "2026-11-01T00:00:01Z",
    "eventName": "CreateUser",
    "eventSource": "iam.amazonaws.com",
    "userIdentity": {"type": "Root", "arn": "arn:aws:iam::1:root"},
}


class ReadingLogs(unittest.TestCase):
    def test_records_keep_their_exact_text(self):
        text = '{ "Records" : [ {"b": 1,  "a":"\\u00e9"} ,{"c":[]}], "x": {"y": 2} }'
        records = ctlog.read(text.encode(), 1 << 20).records
        self.assertEqual([raw for raw, _ in records], ['{"b": 1,  "a":"\\u00e9"}', '{"c":[]}'])
        self.assertEqual(records[0][1], {"b": 1, "a": "é"})

    def test_gzip_with_several_members_is_read_whole(self):
        data = gzip.compress(b'{"Records":[{"a":') + gzip.compress(b"1}]}")
        self.assertEqual(len(ctlog.read(data, 1 << 20).records), 1)

    def test_digest_files_are_skipped(self):
        digest = b'{"awsAccountId":"1","digestStartTime":"x","digestEndTime":"y","logFiles":[]}'
        self.assertEqual(ctlog.read(digest, 1 << 20).skipped, "CloudTrail digest file")

    def test_signature_sidecars_and_public_keys_are_skipped(self):
        sidecar = b'{"signature": "ab01", "signature-algorithm": "SHA256withRSA"}'
        self.assertEqual(ctlog.read(sidecar, 1 << 20).skipped, "signature of a CloudTrail digest file")
        keys = b'{"PublicKeyList": [{"Value": "AA==", "Fingerprint": "ab"}]}'
        self.assertEqual(ctlog.read(keys, 1 << 20).skipped, "CloudTrail public keys")

    def test_bad_documents_say_why(self):
        cases = [
            (b"", "empty input"),
            (b"hello", "not a JSON object"),
            (b"[1]", "not a JSON object"),
            (b'{"Records": 5}', '"Records" is not a list'),
            (b'{"foo": 1}', 'no "Records" list'),
            (b'{"Records": [{"a":1}, {"b":', "not JSON"),
            (b'{"Records": [1]}', "record 1 is not a JSON object"),
            (b'{"Records": [{} {}]}', "expected ',' or ']'"),
            (b'{"Records": []} trailing', "after the end"),
            (b'{"Records": [', "ends inside"),
            (b"\xff\xfe", "not UTF-8"),
            (b"\x1f\x8bnot gzip", "not a readable gzip file"),
        ]
        for data, expected in cases:
            with self.subTest(data=data), self.assertRaises(ctlog.Unreadable) as caught:
                ctlog.read(data, 1 << 20)
            self.assertIn(expected, str(caught.exception))

    def test_an_input_over_the_limit_is_refused(self):
        with self.assertRaises(ctlog.Unreadable) as caught:
            ctlog.read(gzip.compress(b" " * 5000), 4096)
        self.assertIn("max_input_bytes", str(caught.exception))


class LegacyCounts(unittest.TestCase):
    def test_the_old_analyzers_meaning(self):
        session = insights.Session(settings())
        records = [
            {"eventName": "A", "awsRegion": "eu-west-1", "sourceIPAddress": "", "eventType": None,
             "resources": [{"type": "AWS::S3::Bucket"}, {}], "userIdentity": {"type": "IAMUser"}},
            {"eventName": "A", "eventCategory": "Management", "sourceIPAddress": "1.2.3.4"},
            {"awsRegion": "eu-west-1", "eventType": "AwsApiCall", "userIdentity": {}},
        ]
        self.assertEqual(session.add("a.json", log(*records))["status"], "analyzed")
        _, _, _, artifacts = session.finish()
        got = json.loads(artifacts["insights.json"])
        self.assertEqual(got["event_counts"], {"A": 2, "null": 1})
        self.assertEqual(got["resource_counts"], {"AWS::S3::Bucket": 1, "null": 1})
        self.assertEqual(got["account_counts"], {"IAMUser": 1, "Unknown": 2})
        self.assertEqual(got["region_counts"], {"eu-west-1": 2})
        self.assertEqual(got["source_ip_counts"], {"1.2.3.4": 1})
        self.assertEqual(got["event_type_counts"], {"AwsApiCall": 1})
        self.assertEqual(got["event_category_counts"], {"Management": 1})
        self.assertEqual(got["total_events"], 3)
        self.assertEqual(artifacts["insights.csv"], b"event_name,count\nA,2\nnull,1\n")

    def test_a_bad_record_fails_its_input_and_nothing_of_it_counts(self):
        session = insights.Session(settings())
        session.add("good.json", log({"eventName": "A"}))
        bad = session.add("bad.json", log({"eventName": "B"}, {"eventName": "C", "userIdentity": "x"}))
        self.assertEqual(bad["status"], "failed")
        self.assertIn("record 2: `userIdentity` is not an object", bad["detail"])
        summary, problems, _, artifacts = session.finish()
        self.assertEqual(json.loads(artifacts["insights.json"])["event_counts"], {"A": 1})
        self.assertEqual((summary["analyzed"], summary["failed"]), (1, 1))
        self.assertEqual([p["name"] for p in problems], ["bad.json"])

    def test_formulas_are_not_written_to_the_csv(self):
        self.assertEqual(insights.event_csv({"=cmd": 1}), b"event_name,count\n'=cmd,1\n")


class Rules(unittest.TestCase):
    def findings(self, record, config_text=""):
        session = insights.Session(settings(config_text))
        session.add("a.json", log(record))
        return session.finish()

    def test_each_rule_fires_and_stays_quiet(self):
        cases = [
            ("PY.1", ROOT_CALL, {**ROOT_CALL, "userIdentity": {"type": "Root", "invokedBy": "s3.amazonaws.com"}}),
            (
                "PY.2",
                {"eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging"},
                {"eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging", "errorCode": "AccessDenied"},
            ),
            ("PY.3", {"eventName": "GetObject", "errorCode": "AccessDenied"}, {"eventName": "GetObject"}),
        ]
        for rule, fires, quiet in cases:
            with self.subTest(rule=rule):
                fired = json.loads(self.findings(fires)[3]["findings.json"])
                self.assertIn(rule, [f["rule_id"] for f in fired])
                stayed = json.loads(self.findings(quiet)[3]["findings.json"])
                self.assertNotIn(rule, [f["rule_id"] for f in stayed])

    def test_high_findings_are_alerts_and_disabled_rules_are_silent(self):
        summary, _, alerts, _ = self.findings(ROOT_CALL)
        self.assertEqual(summary["findings"], 1)
        self.assertEqual(alerts[0]["key"], "PY.1/e1")
        self.assertEqual(alerts[0]["subject"], "[high] The root user made a call: CreateUser")
        summary, _, alerts, _ = self.findings(ROOT_CALL, '{"rules": {"disabled": ["PY.1"]}}')
        self.assertEqual((summary["findings"], alerts), (0, []))

    def test_configuration_errors_name_the_field(self):
        for text, expected in [
            ("{", "not JSON"),
            ('{"rule": {}}', "unknown section `rule`"),
            ('{"rules": {"disable": []}}', "unknown field `rules.disable`"),
            ('{"rules": {"disabled": ["PY.9"]}}', "unknown rule `PY.9`"),
            ('{"consolidate": {"max_part_bytes": 10}}', "max_part_bytes must be"),
        ]:
            with self.subTest(text=text), self.assertRaises(config.ConfigError) as caught:
                settings(text)
            self.assertIn(expected, str(caught.exception))


class States(unittest.TestCase):
    def test_merged_sessions_report_what_one_session_would(self):
        inputs = {f"{i}.json": log({**ROOT_CALL, "eventID": f"e{i}", "awsRegion": f"r{i % 3}"}) for i in range(6)}
        inputs["bad.json"] = b"nope"
        whole = insights.Session(settings())
        for name, data in inputs.items():
            whole.add(name, data)
        left, right = insights.Session(settings()), insights.Session(settings())
        for i, (name, data) in enumerate(inputs.items()):
            (left if i % 2 else right).add(name, data)
        left.tally.merge(insights.Tally.from_json(right.tally.to_json()))
        self.assertEqual(left.finish(), whole.finish())

    def test_a_foreign_state_is_refused(self):
        for state in [b"x", b"{}", b'{"format": "analyzer-py-state/1"}']:
            with self.subTest(state=state), self.assertRaises(ValueError):
                insights.Tally.from_json(state)


def consolidate(inputs, config_text=""):
    """Runs a consolidation with an in-memory scratch; returns (parts, counts, runs)."""
    scratch = io.BytesIO()
    run = consolidation.Consolidation(settings(config_text), scratch.write)
    for name, data in inputs:
        run.add(name, data)
    lengths = run.runs()
    view, at, readers = scratch.getvalue(), 0, []
    for length in lengths:
        readers.append(io.BytesIO(view[at : at + length]).read)
        at += length
    run.merge(readers)
    parts = []
    while (part := run.next_part()) is not None:
        parts.append(part)
    return parts, run.finish(), lengths


def records_of(parts):
    return [r for _, data, _ in parts for r in json.loads(gzip.decompress(data))["Records"]]


class Consolidating(unittest.TestCase):
    def day(self):
        inputs = []
        for f in range(20):
            records = [
                {"eventID": f"{f}-{i}", "eventTime": f"2026-11-01T{(f * 7 + i) % 24:02}:00:00Z", "n": "x" * 50}
                for i in range(30)
            ]
            inputs.append((f"{f}.json", log(*records)))
        return inputs

    def test_spilled_and_in_memory_runs_give_the_same_bytes(self):
        inputs = self.day() + [("copy.json", self.day()[3][1]), ("digest.json", b'{"digestStartTime":"","digestEndTime":"","logFiles":[]}')]
        small = '{"consolidate": {"max_buffer_bytes": 4096, "max_part_bytes": 8192}}'
        big = '{"consolidate": {"max_part_bytes": 8192}}'
        spilled, counts, runs = consolidate(inputs, small)
        held, counts_held, no_runs = consolidate(list(reversed(inputs)), big)
        self.assertGreater(len(runs), 10)
        self.assertEqual(no_runs, [])
        self.assertEqual(spilled, held)
        self.assertEqual(counts, counts_held)
        self.assertEqual((counts["records_in"], counts["duplicates"], counts["records_out"]), (630, 30, 600))
        records = records_of(spilled)
        self.assertEqual(len(records), 600)
        self.assertEqual([r["eventTime"] for r in records], sorted(r["eventTime"] for r in records))
        self.assertTrue(all(len(data) > 0 for _, data, _ in spilled))
        self.assertEqual(counts["parts"], len(spilled))
        self.assertEqual([p["name"] for p in counts["problems"]], ["digest.json"])

    def test_other_bytes_under_the_same_event_are_kept_and_reported(self):
        genuine = {"eventID": "x", "eventTime": "2026-11-01T00:00:00Z", "sourceIPAddress": "1.1.1.1"}
        forged = {**genuine, "sourceIPAddress": "6.6.6.6"}
        parts, counts, _ = consolidate([("a.json", log(genuine)), ("b.json", log(forged, genuine))])
        self.assertEqual(len(records_of(parts)), 2)
        self.assertEqual((counts["duplicates"], counts["conflicts"]), (1, 1))
        self.assertEqual(counts["conflicting"], ["x 2026-11-01T00:00:00Z"])
        self.assertEqual((counts["first_event_time"], counts["last_event_time"]), ("2026-11-01T00:00:00Z",) * 2)

    def test_a_failed_input_contributes_nothing(self):
        parts, counts, _ = consolidate([("a.json", log({"eventID": "a"})), ("b.json", b'{"Records":[{}, 7]}')])
        self.assertEqual(len(records_of(parts)), 1)
        self.assertEqual(counts["problems"][0]["status"], "failed")

    def test_a_failed_scratch_stops_the_consolidation(self):
        def full(_):
            raise OSError("no space left")

        run = consolidation.Consolidation(settings('{"consolidate": {"max_buffer_bytes": 1024}}'), full)
        run.add("a.json", log({"n": "x" * 2000}))
        with self.assertRaises(RuntimeError) as caught:
            run.runs()
        self.assertIn("no space left", str(caught.exception))


class CommandLine(unittest.TestCase):
    def test_a_folder_is_analyzed_and_a_failure_sets_the_status(self):
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            with open(os.path.join(folder, "a.json.gz"), "wb") as f:
                f.write(gzip.compress(log(ROOT_CALL)))
            out, err = io.StringIO(), io.StringIO()
            with redirect_stdout(out), redirect_stderr(err):
                self.assertEqual(cli.main([folder]), 0)
            self.assertEqual(json.loads(out.getvalue())["account_counts"], {"Root": 1})
            with open(os.path.join(folder, "b.json"), "wb") as f:
                f.write(b"nope")
            with redirect_stdout(io.StringIO()), redirect_stderr(err):
                self.assertEqual(cli.main([folder, "--out", os.path.join(folder, "out")]), 1)
            self.assertIn("b.json: failed: not a CloudTrail log", err.getvalue())
            self.assertTrue(os.path.exists(os.path.join(folder, "out", "findings.json")))
            with redirect_stdout(io.StringIO()), redirect_stderr(err):
                self.assertEqual(cli.main(["--bogus"]), 2)


if __name__ == "__main__":
    unittest.main()
