"""``python -m simulator --port 0``: serve the simulated panel.

The first line printed (flushed) holds the base URL, so a parent process can
start the simulator on a free port and read where it is.
"""
from __future__ import annotations

import argparse
from collections.abc import Sequence

from .server import FAULT_KINDS, serve


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m simulator",
                                 description="Serve aligned's simulated panel (synthetic models, not real LLMs) "
                                             "over the OpenAI chat-completions API.")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    ap.add_argument("--latency-ms", type=float, default=0.0, help="sleep before every answer")
    ap.add_argument("--fault-rate", type=float, default=0.0, help="share of requests that get a fault")
    ap.add_argument("--fault-kinds", default=",".join(FAULT_KINDS),
                    help=f"comma-separated subset of: {', '.join(FAULT_KINDS)}")
    ap.add_argument("--seed", type=int, default=0, help="seeds fault injection and unseeded answers")
    ap.add_argument("--retry-after-s", type=float, default=1.0, help="Retry-After of injected 429s")
    ap.add_argument("--slow-s", type=float, default=30.0, help="delay of injected slow answers")
    ap.add_argument("--api-key", default=None, help="if set, requests with another key get 401")
    args = ap.parse_args(argv)
    kinds = tuple(k.strip() for k in args.fault_kinds.split(",") if k.strip())
    try:
        serve(args.port, args.host, latency_ms=args.latency_ms, fault_rate=args.fault_rate, seed=args.seed,
              retry_after_s=args.retry_after_s, slow_s=args.slow_s, api_key=args.api_key, fault_kinds=kinds)
    except ValueError as exc:
        ap.error(str(exc))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
