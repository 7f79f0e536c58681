"""The client harness's `--exec` contract: one JSON object per line on stdout."""

import json
import sys


def report(**line):
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()
