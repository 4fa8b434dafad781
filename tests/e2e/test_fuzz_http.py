"""Every endpoint of the three running services, fuzzed from its own OpenAPI with schemathesis.

Valid and invalid requests alike: no answer may be a 5xx or a cut one, and every 4xx must say
what is wrong in Vietnamese and in English. Bounded: FUZZ_EXAMPLES cases per operation and mode.
Reproducible: the run's seed is printed (FUZZ_SEED=N replays it), and a failing request is
printed as a curl command.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections import Counter

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from deploy.local._common import run_coro
from tests.e2e.settle import settle
from tests.e2e.signin import staff_credentials

pytestmark = pytest.mark.e2e


@schemathesis.serializer("application/x-ndjson")
def _json_lines(ctx, value) -> bytes:
    """intake's import takes JSON lines; the schema calls its body a string."""
    return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else json.dumps(value).encode()


EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
SEED = int(os.environ.get("FUZZ_SEED") or random.SystemRandom().randrange(2**32))


def check_answer(case, response) -> None:
    where = f"{case.method} {case.formatted_path} -> {response.status_code}"
    assert response.status_code < 500, (
        f"{where}: {response.text[:500]}\nseed: FUZZ_SEED={SEED}\nreproduce: {case.as_curl_command()}"
    )
    if 400 <= response.status_code < 500:
        try:
            error = response.json()["error"]
        except (ValueError, KeyError, TypeError):
            raise AssertionError(f"{where}: a 4xx without an error body: {response.text[:300]}") from None
        assert error.get("message_vi") and error.get("message_en"), f"{where}: {error}"
        assert error["message_vi"] != error["message_en"], f"{where}: not translated: {error}"


def real_values(base_url: str, service: str, auth) -> dict[str, list]:
    """Codes that exist, so that some fuzzed requests get past the lookups into the use cases."""
    get = lambda path: requests.get(base_url + path, timeout=10, auth=auth).json()  # noqa: E731
    if service == "intake":
        procedures = get("/api/v1/procedures")["procedures"]
        return {
            "procedure_code": [p["code"] for p in procedures[:10]],
            "code": [d["code"] for d in get("/api/v1/dossiers?limit=20")],
            "agency": sorted({a for p in procedures for a in p["agencies"]}),
        }
    if service == "resolution":
        cases = get("/api/v1/cases?limit=20")
        return {
            "code": [c["code"] for c in cases],
            "agency": sorted({c["agency_id"] for c in cases}),
            "action": [
                "start-processing",
                "request-supplement",
                "record-supplement",
                "request-fee",
                "record-payment",
                "stop",
                "resolve",
                "return-result",
                "withdraw",
            ],
        }
    return {}


def with_real_values(strategy, real: dict[str, list]):
    """Half the cases keep their generated values; the others get real codes where the names match."""

    def patch(drawn):
        case, picks = drawn
        for name, value in picks.items():
            if value is None:
                continue
            if case.path_parameters and name in case.path_parameters:
                case.path_parameters[name] = value
            elif case.query and name in case.query:
                case.query[name] = value
            elif isinstance(case.body, dict) and name in case.body:
                case.body[name] = value
        return case

    picks = st.fixed_dictionaries(
        {name: st.one_of(st.none(), st.sampled_from(values)) for name, values in real.items() if values}
    )
    return st.tuples(strategy, picks).map(patch)


def fuzz_operation(
    operation, base_url: str, session: requests.Session, seen: Counter, real: dict, timing: Counter
) -> None:
    streaming = "text/event-stream" in json.dumps(operation.definition.raw.get("responses", {}))
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

        @seed(SEED)
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=with_real_values(operation.as_strategy(generation_mode=mode), real))
        def run(case):
            t = time.monotonic()
            try:
                if streaming:  # an event stream never ends: judge its status and first bytes, then hang up
                    with session.request(
                        **case.as_transport_kwargs(base_url=base_url), stream=True, timeout=10
                    ) as response:
                        if response.status_code >= 400:
                            response._content = response.raw.read(10_000)
                else:
                    response = case.call(base_url=base_url, session=session, timeout=10)
            except requests.RequestException as exc:  # e.g. an answer cut in the middle
                raise AssertionError(
                    f"{case.method} {case.formatted_path}: {type(exc).__name__}: {exc}\n"
                    f"seed: FUZZ_SEED={SEED}\nreproduce: {case.as_curl_command()}"
                ) from None
            timing[operation.label] += time.monotonic() - t
            seen[(operation.label, response.status_code)] += 1
            check_answer(case, response)

        try:
            run()
        except Unsatisfiable:  # nothing to break: an operation without parameters or body
            assert mode is GenerationMode.NEGATIVE, operation.label


@pytest.mark.parametrize("service", ["intake", "resolution", "stats"])
def test_fuzz_every_endpoint(services, endpoints, service, request, capsys):
    with capsys.disabled():  # in the CI log whatever happens, so a failure can be replayed
        print(f"\nfuzz {service}: seed {SEED} (FUZZ_SEED={SEED} replays this run)")
    base_url = services[service]
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    seen: Counter = Counter()
    timing: Counter = Counter()
    auth = staff_credentials(request)  # signed in, so the fuzz gets past the door into the use cases
    real = real_values(base_url, service, auth)
    started = time.monotonic()
    with requests.Session() as session:
        session.auth = auth
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 2
        for operation in operations:
            fuzz_operation(operation, base_url, session, seen, real, timing)
    by_status = Counter()
    for (_, status), n in seen.items():
        by_status[status] += n
    print(
        f"\nfuzz {service}: {len(operations)} operations, {sum(seen.values())} requests in "
        f"{time.monotonic() - started:.1f} s, by status {dict(sorted(by_status.items()))}"
    )
    slowest = ", ".join(f"{label} {t:.1f} s" for label, t in timing.most_common(3))
    print(f"  slowest operations (time in requests): {slowest}")
    assert not [s for s in by_status if s >= 500]
    # Fuzzed dossiers make events: let them land before another test reads the board.
    run_coro(settle(endpoints))
