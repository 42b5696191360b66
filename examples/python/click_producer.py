#!/usr/bin/env python3
"""Sends click events to widedeep's clicks topic from Python, with fastavro and kafka-python.

Each Kafka record is one ClickEvent in Avro single-object encoding: the marker C3 01, the 8-byte
CRC-64-AVRO fingerprint of the writer schema's parsing canonical form, then the Avro binary body.
The writer schema is schemas/src/main/avro/ClickEvent.avsc, one self-contained file; the job reads
the fingerprint it gives (f643ad88f70929e6) and sends anything else to clicks-dlq with the reason.

  python3 examples/python/click_producer.py --bootstrap-servers localhost:9092 --events 200

Install: apt-get install python3-kafka; pip install fastavro.
"""
import argparse
import io
import os
import random
import time

from fastavro import schemaless_writer
from fastavro.schema import fingerprint, load_schema, to_parsing_canonical_form
from kafka import KafkaProducer

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA_FILE = os.path.join(HERE, "..", "..", "schemas", "src", "main", "avro", "ClickEvent.avsc")


class ClickEventWriter:
    """Encodes ClickEvent dicts as Avro single-object messages."""

    def __init__(self, schema_file=SCHEMA_FILE):
        self.schema = load_schema(schema_file)
        canonical = to_parsing_canonical_form(self.schema)
        self.fingerprint = fingerprint(canonical, "CRC-64-AVRO")  # hex, in the byte order the wire carries
        self.header = b"\xc3\x01" + bytes.fromhex(self.fingerprint)

    def encode(self, event):
        body = io.BytesIO()
        schemaless_writer(body, self.schema, event)
        return self.header + body.getvalue()


def impression(event_id, user, item, now, context):
    return {"event_id": event_id, "event_type": "IMPRESSION", "impression_id": event_id,
            "user_id": user, "item_id": item, "event_time": now, "context": context,
            "numeric": {"price": 9.99}, "label": None}


def click(event_id, shown):
    c = dict(shown)
    c.update({"event_id": event_id, "event_type": "CLICK", "event_time": shown["event_time"] + 1500})
    return c


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bootstrap-servers", required=True)
    p.add_argument("--topic", default="clicks")
    p.add_argument("--events", type=int, default=200, help="impressions to send; about one in five is clicked")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()

    writer = ClickEventWriter()
    rnd = random.Random(args.seed)
    producer = KafkaProducer(bootstrap_servers=args.bootstrap_servers, acks="all")
    now = int(time.time() * 1000)
    sent = 0
    for i in range(args.events):
        user, item = "py-user-%d" % rnd.randrange(20), "py-item-%d" % rnd.randrange(50)
        shown = impression("py-%d-imp-%d" % (args.seed, i), user, item, now + i,
                           {"device": rnd.choice(["ios", "android", "web"]), "page": "home"})
        producer.send(args.topic, writer.encode(shown))
        sent += 1
        if rnd.random() < 0.2:
            producer.send(args.topic, writer.encode(click("py-%d-clk-%d" % (args.seed, i), shown)))
            sent += 1
    producer.flush()
    producer.close()
    print("sent %d events to %s (schema fingerprint %s)" % (sent, args.topic, writer.fingerprint))


if __name__ == "__main__":
    main()
