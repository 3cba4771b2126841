"""Bulk write benchmark: binary COPY (what the indexer uses) vs pipelined `executemany`
vs one INSERT per row, for the same chunk rows into Deskmate's schema, in one run.

    .venv/bin/python benchmarks/bulk_write.py [--rows 20000]
"""

from __future__ import annotations

import argparse
import asyncio

import psycopg
from common import Timer, bench_settings, machine, scratch_database
from pgvector.psycopg import register_vector
from synthetic import DIM, clustered_vectors

from bot.store import open_store

INSERT = (
    "INSERT INTO chunks (document_id, ordinal, heading_path, heading_text, text, page, audience,"
    " embedding) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
)
TYPES = ["int8", "int4", "text[]", "text", "text", "int4", "text[]", "vector"]
COPY = (
    "COPY chunks (document_id, ordinal, heading_path, heading_text, text, page, audience,"
    " embedding) FROM STDIN WITH (FORMAT BINARY)"
)


def rows(document_id: int, n: int) -> list[tuple[object, ...]]:
    vectors = clustered_vectors(n)
    return [
        (
            document_id,
            i,
            ["Doc", "Section"],
            "Doc Section",
            f"passage {i} " * 40,
            None,
            ["everyone"],
            vectors[i],
        )
        for i in range(n)
    ]


def measure(conn: psycopg.Connection, data: list[tuple[object, ...]]) -> dict[str, float]:
    n = len(data)
    results = {}
    with Timer() as t:
        with conn.cursor().copy(COPY) as copy:
            copy.set_types(TYPES)
            for row in data:
                copy.write_row(row)
        conn.commit()
    results["binary COPY"] = t.seconds
    conn.execute("DELETE FROM chunks")
    conn.commit()
    with Timer() as t:
        conn.cursor().executemany(INSERT, data)
        conn.commit()
    results["pipelined executemany"] = t.seconds
    conn.execute("DELETE FROM chunks")
    conn.commit()
    sample = data[: max(1, n // 10)]
    with Timer() as t:
        for row in sample:
            conn.execute(INSERT, row)
            conn.commit()
    results["INSERT + COMMIT per row (10% sample, scaled)"] = t.seconds * n / len(sample)
    conn.execute("DELETE FROM chunks")
    conn.commit()
    return results


async def main(n: int) -> None:
    print(f"machine: {machine()}; {n:,} rows of {DIM}-dimension chunks")
    with scratch_database() as (url, tmp):
        async with open_store(bench_settings(url, tmp), dim=DIM, model="synthetic"):
            pass
        with psycopg.connect(url) as conn:
            register_vector(conn)
            document_id = conn.execute(
                "INSERT INTO documents (source, path, title, content_hash, audience) "
                "VALUES ('b', 'b', 'b', 'x', '{everyone}') RETURNING id"
            ).fetchone()[0]  # type: ignore[index]
            data = rows(document_id, n)
            for label in ("with the HNSW index", "without the HNSW index"):
                if label.startswith("without"):
                    conn.execute("DROP INDEX chunks_embedding")
                    conn.commit()
                print(label)
                results = measure(conn, data)
                base = results["binary COPY"]
                for name, seconds in results.items():
                    print(
                        f"  {name:46s} {seconds:7.2f}s {n / seconds:9,.0f} rows/s "
                        f"{seconds / base:5.1f}x COPY"
                    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    asyncio.run(main(parser.parse_args().rows))
