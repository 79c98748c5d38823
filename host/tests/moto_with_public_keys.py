"""moto_server with CloudTrail's ListPublicKeys, which moto 5.2.1 lacks.

    python3 moto_with_public_keys.py KEYS.json PORT

KEYS.json is `aws cloudtrail list-public-keys` output (the test keys). The
API answers as CloudTrail does: the keys whose validity overlaps the
request's StartTime..EndTime (now, when absent), times as epoch seconds,
one page. Everything else is plain moto.
"""

import json
import sys
import time
from datetime import datetime

from moto.cloudtrail.responses import CloudTrailResponse
from moto.server import main

keys_path, port = sys.argv[1], sys.argv[2]
with open(keys_path) as f:
    KEYS = [
        {**key,
         "ValidityStartTime": datetime.fromisoformat(key["ValidityStartTime"]).timestamp(),
         "ValidityEndTime": datetime.fromisoformat(key["ValidityEndTime"]).timestamp()}
        for key in json.load(f)["PublicKeyList"]
    ]


def list_public_keys(self):
    params = json.loads(self.body or "{}")
    start = params.get("StartTime", time.time())
    end = params.get("EndTime", time.time())
    listed = [k for k in KEYS if k["ValidityStartTime"] <= end and start <= k["ValidityEndTime"]]
    return json.dumps({"PublicKeyList": listed})


CloudTrailResponse.list_public_keys = list_public_keys
main(["-H", "127.0.0.1", "-p", port])
