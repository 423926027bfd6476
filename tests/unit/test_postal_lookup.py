"""Postal-code completion from the threaded server: every request runs in a thread of its own."""

from concurrent.futures import ThreadPoolExecutor

from portal.donations.normalise import lookup_address


def test_lookup_address_from_several_threads_at_once() -> None:
    # The first lookup here, in this thread; then many at once from others (the server's
    # second request used to fail with sqlite3.ProgrammingError: wrong thread).
    assert lookup_address("727-0011") == "広島県庄原市東本町"
    codes = ["〒７２７−００１１", "7270011", "1000001", "0000000"] * 8
    with ThreadPoolExecutor(max_workers=8) as pool:
        found = list(pool.map(lookup_address, codes))
    assert found == ["広島県庄原市東本町", "広島県庄原市東本町", "東京都千代田区千代田", ""] * 8
