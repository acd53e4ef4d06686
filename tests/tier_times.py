"""The slowest test modules of the last ``make test``, from the JUnit reports tests/run_tiers writes.

Usage: ``python -m tests.tier_times [how many]``: per group, its modules by wall time (setup,
call and teardown of their tests), so the module worth a shared fixture or a cut is plain.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ElementTree
from collections import Counter, defaultdict

from tests.run_tiers import LOGS


def main(arguments: list[str]) -> int:
    shown = int(arguments[0]) if arguments else 15
    reports = sorted(LOGS.glob("*.xml"))
    if not reports:
        print(f"no JUnit report under {LOGS}: run `make test` first", file=sys.stderr)
        return 1
    for report in reports:
        seconds: defaultdict[str, float] = defaultdict(float)
        tests: Counter[str] = Counter()
        for case in ElementTree.parse(report).iter("testcase"):
            # classname is the dotted module path, then the test's class if it has one
            module = ".".join(part for part in case.get("classname", "?").split(".") if not part.startswith("Test"))
            seconds[module] += float(case.get("time", "0"))
            tests[module] += 1
        print(f"{report.stem}: {sum(seconds.values()):.0f} s in {sum(tests.values())} tests")
        for module, spent in sorted(seconds.items(), key=lambda item: -item[1])[:shown]:
            print(f"  {spent:7.1f} s  {tests[module]:4d} tests  {module}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
