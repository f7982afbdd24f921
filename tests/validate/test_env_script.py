"""run_env_script (validate/core_matrix/env_script.py): a script run by another interpreter, its JSON result read back;
no result, a timeout or a result that is not a JSON object is one line of :class:`EnvScriptError`."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from samzoo.validate.core_matrix.env_script import EnvScriptError, run_env_script

SCRIPT = '''
import json, os, sys, time
what, out = sys.argv[1], sys.argv[-1]
if what == "sleep":
    time.sleep(30)
elif what == "crash":
    raise SystemExit("the script\\nfailed here")
payload = {"ok": [1, 2], "cwd_is_tmp": os.getcwd() == os.path.dirname(out), "path": os.environ.get("PYTHONPATH")}
open(out, "w").write(json.dumps([1]) if what == "list" else "{" if what == "garbage" else json.dumps(payload))
'''


@pytest.fixture
def script(tmp_path) -> Path:
    path = tmp_path / "script.py"
    path.write_text(SCRIPT)
    return path


def test_the_result_comes_back_from_a_clean_working_folder(script, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "/somewhere/samzoo/src")
    assert run_env_script(Path(sys.executable), script, ["ok"], 60) == {"ok": [1, 2], "cwd_is_tmp": True, "path": None}


@pytest.mark.parametrize("what, words, timed_out", [
    ("crash", "exited with code 1 without a result: the script failed here", False),
    ("sleep", "did not finish within 1 s", True),
    ("list", "wrote a JSON list, not an object", False),
    ("garbage", "wrote a result that is not JSON", False),
])
def test_no_usable_result_is_one_line(script, what, words, timed_out):
    with pytest.raises(EnvScriptError) as info:
        run_env_script(Path(sys.executable), script, [what], 1 if what == "sleep" else 60)
    assert words in str(info.value) and "\n" not in str(info.value) and info.value.timed_out is timed_out
