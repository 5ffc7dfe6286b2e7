"""OSTF health checks, reached through the master's nginx at ``/ostf/...`` with the same token.

Starting or restarting runs is never retried (a resent POST starts a second run); stopping is,
since stopping twice is stopping once.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from core.errors import FuelError
from integrations.fuel.enums import TestStatus
from integrations.fuel.testruns import Test, TestRun, TestSet
from integrations.fuel.session import FuelSession

TESTRUNS = "/ostf/testruns"


class OstfAPI:
    """OSTF's testset, test and testrun endpoints."""

    def __init__(self, session: FuelSession) -> None:
        self._s = session

    def ostf_testsets(self, cluster_id: int) -> list[TestSet]:
        """The test sets that apply to the environment, in OSTF's priority order."""
        data = self._s.call("GET", "/ostf/testsets/{cluster_id}", cluster_id=cluster_id)
        return [TestSet.from_json(t) for t in data or ()]  # OSTF sends {} when there are none

    def ostf_tests(self, cluster_id: int) -> list[Test]:
        data = self._s.call("GET", "/ostf/tests/{cluster_id}", cluster_id=cluster_id)
        return [Test.from_json(t) for t in data or ()]

    def start_testruns(self, cluster_id: int, testsets: Sequence[str],
                       tests: Sequence[str] | None = None, *,
                       credentials: Mapping[str, str] | None = None) -> list[TestRun]:
        """Start one run per test set; with ``tests``, each set runs only the named tests.

        A set whose previous run is still going is not restarted (OSTF answers ``{}`` for it),
        so the result may hold fewer runs than ``testsets``. ``credentials`` are the
        ``ostf_os_username/password/tenant_name`` to use when the OpenStack admin password
        differs from the one in the environment's settings.
        """
        chosen = self._tests_by_set(cluster_id, testsets, tests) if tests is not None else None
        body = []
        for testset in testsets:
            metadata: dict[str, Any] = {"cluster_id": int(cluster_id), "config": {}}
            if credentials:
                metadata["ostf_os_access_creds"] = dict(credentials)
            item: dict[str, Any] = {"testset": testset, "metadata": metadata}
            if chosen is not None:
                item["tests"] = chosen[testset]
            body.append(item)
        data = self._s.call("POST", TESTRUNS, body=body, idempotent=False)
        return _runs(data)

    def restart_testrun(self, testrun_id: int, *, tests: Sequence[str] | None = None,
                        credentials: Mapping[str, str] | None = None) -> TestRun:
        """Run a finished test run again (the UI's "Run tests" on a set that ran before).

        Without ``tests`` the tests that were enabled last time run again.
        """
        if tests is None:
            tests = [t.id for t in self.testrun(testrun_id).tests if t.status is not TestStatus.DISABLED]
        item: dict[str, Any] = {"id": int(testrun_id), "status": "restarted", "tests": list(tests)}
        if credentials:
            item["ostf_os_access_creds"] = dict(credentials)
        runs = _runs(self._s.call("PUT", TESTRUNS, body=[item], idempotent=False))
        if not runs:
            raise FuelError(f"OSTF did not restart test run {testrun_id}; is it still running?",
                            method="PUT", url=self._s.base_url + TESTRUNS)
        return runs[0]

    def last_testruns(self, cluster_id: int) -> list[TestRun]:
        """The latest run of each test set on the environment (what the Health Check tab shows)."""
        return _runs(self._s.call("GET", TESTRUNS + "/last/{cluster_id}", cluster_id=cluster_id))

    def testrun(self, testrun_id: int) -> TestRun:
        data = self._s.call("GET", TESTRUNS + "/{testrun_id}", testrun_id=testrun_id)
        if not data:  # OSTF answers 200 {} for an unknown id
            raise FuelError(f"OSTF has no test run {testrun_id}", method="GET",
                            url=f"{self._s.base_url}{TESTRUNS}/{testrun_id}", status=200)
        return TestRun.from_json(data)

    def stop_testrun(self, testrun_id: int) -> TestRun | None:
        """Stop a run; its waiting and running tests become ``stopped``."""
        runs = _runs(self._s.call("PUT", TESTRUNS, body=[{"id": int(testrun_id), "status": "stopped"}],
                                  idempotent=True))
        return runs[0] if runs else None

    def _tests_by_set(self, cluster_id: int, testsets: Sequence[str],
                      tests: Sequence[str]) -> dict[str, list[str]]:
        # Test ids do not reliably name their set, so ask OSTF which set each belongs to.
        known = {t.id: t.testset for t in self.ostf_tests(cluster_id)}
        unknown = [t for t in tests if t not in known]
        if unknown:
            raise FuelError(f"OSTF has no test {', '.join(unknown)} for environment {cluster_id}")
        chosen: dict[str, list[str]] = {s: [] for s in testsets}
        for test in tests:
            if known[test] not in chosen:
                raise FuelError(f"Test {test} belongs to test set '{known[test]}', which is not among "
                                f"the sets to run ({', '.join(testsets)})")
            chosen[known[test]].append(test)
        empty = [s for s, ids in chosen.items() if not ids]
        if empty:
            raise FuelError(f"No test of set {', '.join(empty)} was chosen; name some or leave "
                            "the set out")
        return chosen


def _runs(data: Any) -> list[TestRun]:
    if isinstance(data, Mapping):
        data = data.get("objects", [data]) if data else []
    return [TestRun.from_json(r) for r in data or ()
            if isinstance(r, Mapping) and r.get("id") is not None]
