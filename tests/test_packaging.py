"""The package metadata: an MIT LICENSE, classifiers and the runtime dependencies."""
import os
import subprocess
import sys

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _metadata(flag):
    return subprocess.run([sys.executable, "setup.py", flag], cwd=REPOSITORY, text=True,
                          capture_output=True, check=True).stdout


def test_license_and_classifiers_are_declared():
    with open(os.path.join(REPOSITORY, "LICENSE"), encoding="utf-8") as file:
        assert file.readline().strip() == "MIT License"
    classifiers = _metadata("--classifiers")
    assert "License :: OSI Approved :: MIT License" in classifiers
    assert "Programming Language :: Python :: 3" in classifiers
    assert _metadata("--license").strip() == "MIT"


def test_tqdm_is_a_runtime_dependency():
    with open(os.path.join(REPOSITORY, "setup.py"), encoding="utf-8") as file:
        assert '"tqdm>=4.60"' in file.read()
