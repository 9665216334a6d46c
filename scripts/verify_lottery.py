#!/usr/bin/env python3
"""Re-run a Yunlou lottery (摇号) from what was published, with nothing but the Python standard library.

    python3 verify_lottery.py LIST_FILE SEED PUBLIC_VALUE

LIST_FILE holds the published pledge numbers, one per line, in any order (blank lines are ignored). Prints
the order, one pledge number per line from place 1, then the list's SHA-256 and the seed's SHA-256 on lines
starting with "#": compare them with the fingerprints published before the draw. The algorithm is in
docs/lottery.md; this file deliberately shares no code with Yunlou.
"""

import hashlib
import hmac
import sys


def lottery(numbers, seed_hex, public_value):
    items = sorted(numbers)
    digest = hashlib.sha256("".join(n + "\n" for n in items).encode("utf-8")).hexdigest()
    message = b"yunlou-lottery-v1\n" + digest.encode("ascii") + b"\n" + public_value.encode("utf-8")
    key = hmac.new(bytes.fromhex(seed_hex), message, hashlib.sha256).digest()
    counter = 0

    def below(m):  # uniform in range(m): refuse words from the incomplete last band
        nonlocal counter
        while True:
            block = hmac.new(key, counter.to_bytes(8, "big"), hashlib.sha256).digest()
            counter += 1
            word = int.from_bytes(block[:8], "big")
            if word < 2**64 - 2**64 % m:
                return word % m

    for i in range(len(items) - 1, 0, -1):
        j = below(i + 1)
        items[i], items[j] = items[j], items[i]
    return items, digest


def main(argv):
    if len(argv) != 4:
        sys.exit(__doc__)
    list_file, seed, public_value = argv[1], argv[2].strip().lower(), argv[3]
    with open(list_file, encoding="utf-8-sig") as lines:
        numbers = [line.strip() for line in lines if line.strip()]
    if len(set(numbers)) != len(numbers):
        sys.exit("the list has a pledge number twice")
    if len(seed) != 64:
        sys.exit("the seed must be 64 hexadecimal characters")
    order, digest = lottery(numbers, seed, public_value)
    print("\n".join(order))
    print(f"# list sha256: {digest}")
    print(f"# seed sha256: {hashlib.sha256(seed.encode('ascii')).hexdigest()}")


if __name__ == "__main__":
    main(sys.argv)
