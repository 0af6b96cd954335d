#!/usr/bin/env python3
"""An agent in Python writing to an Open Audit Record through `pantheon oar serve`.

Only the standard library: a Unix socket and newline-delimited JSON (docs/oar.md, "The socket").
Every loan decision is sealed before it is acted on: `guard` returns a permit only once the
signed intent is on disk; the action runs; its outcome is recorded (failed if the action raised,
and, if this process dies first, the service records it as failed when the connection closes).

    pantheon oar serve --dir oar --socket /tmp/oar.sock &
    python3 examples/oar_client.py --socket /tmp/oar.sock --loans 20

Prints one JSON line at the end: {"decisions": N, "approved": A, "denied": D, "failed": F, "size": S}.
"""
import argparse
import contextlib
import json
import socket


class OarError(Exception):
    """The service refused a request; `kind` is "input" (a bad request) or "internal"."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


class OarClient:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.reader = self.sock.makefile("r", encoding="utf-8", newline="\n")
        self.next_id = 0

    def request(self, op, **fields):
        self.next_id += 1
        line = json.dumps({"id": self.next_id, "op": op, **fields}, separators=(",", ":"))
        self.sock.sendall(line.encode("utf-8") + b"\n")
        answer = self.reader.readline()
        if not answer:
            raise ConnectionError("the OAR service closed the connection")
        reply = json.loads(answer)
        if reply.get("id") != self.next_id:
            raise RuntimeError(f"answer to request {reply.get('id')}, expected {self.next_id}")
        if not reply["ok"]:
            raise OarError(reply["error"]["kind"], reply["error"]["message"])
        return reply

    def intend(self, actor, version, payload):
        return self.request("intend", actor=actor, actorVersion=version, payload=payload)["permit"]

    def outcome(self, permit, payload, status="done"):
        return self.request("outcome", permit=permit, payload=payload, status=status)["sealed"]

    @contextlib.contextmanager
    def guard(self, actor, version, payload):
        """Seals the intent, yields the permit, then records the outcome the body sets (or its error)."""
        permit = self.request("guard", actor=actor, actorVersion=version, payload=payload)["permit"]
        result = {}
        try:
            yield permit, result
        except Exception as err:  # the action failed: that is its outcome
            self.outcome(permit, {"error": f"{type(err).__name__}: {err}"}, status="failed")
            raise
        self.outcome(permit, result.get("value"))

    def status(self):
        return self.request("status")

    def close(self):
        self.reader.close()
        self.sock.close()


def applicants(count):
    """A deterministic stream of applications (a linear congruential generator)."""
    seed = 20261130
    for n in range(count):
        values = []
        for _ in range(3):
            seed = (seed * 1103515245 + 12345) % 2**31
            values.append(seed / 2**31)
        yield {"applicant": f"P-{n}", "inputs": {"income": 20000 + int(values[0] * 80000), "score": 500 + int(values[1] * 350), "debt": int(values[2] * 40000)}}


def decide(application):
    inputs = application["inputs"]
    if inputs["score"] < 640:
        return {"proposal": "deny", "reason": f"score {inputs['score']} below 640"}
    if inputs["debt"] / inputs["income"] >= 0.4:
        return {"proposal": "deny", "reason": "debt at or above 40% of income"}
    return {"proposal": "approve", "reason": "score and debt within policy"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--socket", required=True)
    parser.add_argument("--loans", type=int, default=10)
    parser.add_argument("--fail-every", type=int, default=0, help="make every Nth action raise (to show failed outcomes)")
    args = parser.parse_args()

    oar = OarClient(args.socket)
    counts = {"decisions": 0, "approved": 0, "denied": 0, "failed": 0}
    for n, application in enumerate(applicants(args.loans)):
        decision = decide(application)
        try:
            with oar.guard("py-loan-agent", "1.0.0", {**application, **decision}) as (permit, result):
                # Only here, with the signed decision on disk (permit), does the bank act.
                if args.fail_every and (n + 1) % args.fail_every == 0:
                    raise TimeoutError("core banking did not answer")
                result["value"] = {"letter": "offer" if decision["proposal"] == "approve" else "decline", "ref": f"L-{permit['sequence']}"}
        except TimeoutError:
            counts["failed"] += 1
        counts["decisions"] += 1
        counts["approved" if decision["proposal"] == "approve" else "denied"] += 1
    # A refused request names what is wrong and changes nothing.
    try:
        oar.intend("", "1.0.0", {})
    except OarError as err:
        counts["refused"] = err.message if hasattr(err, "message") else str(err)
    counts["size"] = oar.status()["size"]
    oar.close()
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
