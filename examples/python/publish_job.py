#!/usr/bin/python3
"""Publish one rabbitmq-arq job from Python with plain pika (see docs/other-languages.md).

Builds the message body of docs/wire-format.md, validates it against the JSON Schema that
`arq-gen generate` wrote (generated/schemas/envelope.bundled.json, the envelope with every job's
args schema inside it), and publishes it the way the TypeScript client does: persistent, content type
application/json, message_id = job id, headers x-retry-count 0 and x-arq-version 1, mandatory,
with publisher confirms.

    /usr/bin/python3 examples/python/publish_job.py
    /usr/bin/python3 examples/python/publish_job.py --kwargs '{"dataId": 7, "action": "cleanup", "payload": "x"}'

Needs Debian's python3-pika and python3-jsonschema. The queue must exist: a rabbitmq-arq worker
(or client) declares it with its final arguments, and this script only checks it passively, because
declaring it with other arguments would fail (406) or, worse, create a queue the worker refuses.
"""

import argparse
import json
import os
import re
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jsonschema
import pika
from pika.exceptions import ChannelClosedByBroker, NackError, UnroutableError

DEFAULT_SCHEMAS = Path(__file__).resolve().parents[2] / "generated" / "schemas"
WIRE_VERSION = 1


def load_envelope(folder):
    """The bundled envelope: one self-contained file, so the validator needs no reference store."""
    path = Path(folder) / "envelope.bundled.json"
    if not path.exists():
        sys.exit(f"no envelope.bundled.json in {folder}: run `npm run generate` first")
    return json.loads(path.read_text(encoding="utf-8"))


RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def format_checker():
    """jsonschema's checkers, plus date-time (jsonschema checks it only when rfc3339-validator is installed)."""
    checker = jsonschema.FormatChecker()
    if "date-time" not in checker.checkers:

        @checker.checks("date-time", raises=ValueError)
        def is_date_time(value):
            if not isinstance(value, str):
                return True
            if not RFC3339.match(value):
                return False
            datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
            return True

    return checker


def envelope_validator(envelope):
    return jsonschema.Draft7Validator(envelope, format_checker=format_checker())


def build_body(function, kwargs, queue, defer_by=None):
    """The body of a new job: the nine fields of docs/wire-format.md, times in UTC with an offset."""
    now = datetime.now(timezone.utc)
    return {
        "job_id": uuid.uuid4().hex,
        "function": function,
        "args": [],
        "kwargs": kwargs,
        "job_try": 1,
        "enqueue_time": now.isoformat(),
        "queue_name": queue,
        # The worker never runs a job before defer_until: one that arrives early waits in the delay ladder.
        "defer_until": (now + timedelta(seconds=defer_by)).isoformat() if defer_by else None,
        "expires": None,
    }


def demo_kwargs():
    """Arguments of the demo's processData job; notBefore shows how an isoDate field travels."""
    return {
        "dataId": 42,
        "action": "process",
        "payload": "hello from Python",
        "notBefore": datetime.now(timezone.utc).isoformat(),
    }


def publish(url, queue, body):
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = connection.channel()
        try:
            # Passive: only checks that the queue exists; never declares it with other arguments.
            channel.queue_declare(queue=queue, passive=True)
        except ChannelClosedByBroker as error:
            sys.exit(f'queue "{queue}" does not exist ({error.reply_text}): start a rabbitmq-arq worker for it first')
        channel.confirm_delivery()
        properties = pika.BasicProperties(
            content_type="application/json",
            delivery_mode=2,
            message_id=body["job_id"],
            timestamp=int(datetime.now(timezone.utc).timestamp()),
            type=body["function"],
            headers={"x-retry-count": body["job_try"] - 1, "x-arq-version": WIRE_VERSION},
        )
        encoded = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        try:
            # mandatory + confirms: the call returns only once the broker has the message in the queue.
            channel.basic_publish(exchange="", routing_key=queue, body=encoded, properties=properties, mandatory=True)
        except (UnroutableError, NackError) as error:
            sys.exit(f"the broker did not take the job: {error!r}")
    finally:
        connection.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("AMQP_URL", "amqp://guest:guest@localhost:5672"))
    parser.add_argument("--queue", default=os.environ.get("ARQ_QUEUE", "default"))
    parser.add_argument("--function", default="processData", help="the job name, verbatim")
    parser.add_argument("--kwargs", help="the job's arguments as JSON (default: a processData example)")
    parser.add_argument("--defer-by", type=float, metavar="SECONDS", help="run the job no earlier than this from now")
    parser.add_argument("--schemas", default=os.environ.get("ARQ_SCHEMAS", str(DEFAULT_SCHEMAS)))
    parser.add_argument(
        "--publish-invalid",
        action="store_true",
        help="publish even when the schema refuses the job (to see the worker dead-letter it)",
    )
    options = parser.parse_args()

    kwargs = json.loads(options.kwargs) if options.kwargs else demo_kwargs()
    body = build_body(options.function, kwargs, options.queue, options.defer_by)
    errors = sorted(envelope_validator(load_envelope(options.schemas)).iter_errors(body), key=lambda e: list(e.path))
    for error in errors:
        where = "/".join(str(part) for part in error.absolute_path) or "(body)"
        print(f"invalid: {where}: {error.message}", file=sys.stderr)
    if errors and not options.publish_invalid:
        sys.exit(2)

    publish(options.url, options.queue, body)
    print(f'published {body["function"]} job {body["job_id"]} to queue "{options.queue}"')


if __name__ == "__main__":
    main()
