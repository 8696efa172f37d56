"""Builds the DNS transaction dataset of a directory of captures on a Spark cluster.

    spark-submit --master MASTER [--files /path/to/pcaptool] scripts/spark_dns.py \
        --pcaptool PATH [--server NAME] [--server-location LOC] \
        [--partition-by date|date,server] [--match-timeout SECONDS] INPUT_DIR OUTPUT_DIR

Writes OUTPUT_DIR in the hive layout `date=YYYY-MM-DD[/server=NAME]/part-*.parquet`,
the rows `pcaptool dns INPUT_DIR --format parquet -o OUTPUT_DIR --partition-by ...`
writes on one machine:

1. The driver lists the capture files (any Hadoop file system: local, hdfs://, s3a://).
2. One Spark task per file runs `pcaptool dns FILE --format parquet` on the executor and
   puts the table in OUTPUT_DIR/_pcaptool_staging (ignored by readers: it starts with _).
   A capture cannot be split, so a file is the unit of work.
3. A query still waiting when its file ended (unmatched_reason = 'end_of_input') and
   the first response with the same client, server, ID and question that found no query
   in a later file (unmatched_reason = 'no_query', within the timeout) become one row,
   as they do when pcaptool reads the files as one capture. A waiting query left alone
   is 'timeout' when later traffic came after its timeout, as pcaptool says.
4. The rows are written partitioned, appended to what OUTPUT_DIR holds.

PATH is a path on the executors, or the name of a file shipped with --files.
Executors read remote inputs with pyarrow's file systems (S3, HDFS, GCS) into a local
temporary file; local and NFS paths are read in place.
"""

import argparse
import os
import shutil
import stat
import subprocess
import tempfile
import uuid
from urllib.parse import urlparse

from pyspark import SparkFiles
from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F

STAGING = "_pcaptool_staging"

# Columns a joined row takes from its query (falling back on the response) and from its
# response, as pcaptool merges the two sides of one row (see src/dns/view/parquet).
FROM_QUERY = [
    "time", "dns_id", "dns_qname", "dns_qname_full", "dns_domainname", "dns_tld",
    "dns_labels", "ip_version", "ip_ttl", "prot", "ip_src", "prot_src_port", "ip_dst",
    "prot_dst_port", "dns_rd", "dns_cd", "dns_qdcount", "dns_opcode", "dns_qtype",
    "dns_qclass", "edns_udp", "edns_version", "edns_do", "edns_options", "edns_ecs",
    "dns_req_len", "tcp_rtt", "server", "server_location", "query_frame", "pcap_file",
]
FROM_RESPONSE = [
    "dns_aa", "dns_tc", "dns_ra", "dns_ad", "dns_ancount", "dns_nscount", "dns_arcount",
    "dns_rcode", "edns_ext_error", "edns_nsid", "dns_rdata", "dns_cname", "dns_res_len",
    "response_frame",
]


def arguments():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--pcaptool", required=True, help="pcaptool on the executors, or a --files name")
    p.add_argument("--server", default="")
    p.add_argument("--server-location", default="")
    p.add_argument("--partition-by", default="date", choices=["date", "date,server"])
    p.add_argument("--match-timeout", type=float, default=10.0)
    p.add_argument("input_dir")
    p.add_argument("output_dir")
    return p.parse_args()


def list_files(spark, directory):
    """Every file below `directory`, through Hadoop's file system (sorted by path)."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    path = jvm.org.apache.hadoop.fs.Path(directory)
    fs = path.getFileSystem(conf)
    found = []
    it = fs.listFiles(path, True)
    while it.hasNext():
        status = it.next()
        name = status.getPath().getName()
        if status.isFile() and not name.startswith((".", "_")):
            found.append(status.getPath().toString())
    return sorted(found)


def local_file(uri):
    """The local path of a `file:` URI or a plain path; None for other file systems."""
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        return parsed.path if parsed.scheme else uri
    return None


def fetch(uri):
    """A path pcaptool can open, and the temporary copy to remove afterwards (if any)."""
    path = local_file(uri)
    if path is not None:
        return path, None
    import pyarrow.fs

    fs, remote = pyarrow.fs.FileSystem.from_uri(uri)
    handle, temp = tempfile.mkstemp(suffix="-" + os.path.basename(remote))
    with os.fdopen(handle, "wb") as out, fs.open_input_stream(remote) as src:
        shutil.copyfileobj(src, out, 1 << 20)
    return temp, temp


def put(local, uri):
    """Moves a finished table to `uri` (any file system)."""
    path = local_file(uri)
    if path is not None:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        shutil.move(local, path)
        return
    import pyarrow.fs

    fs, remote = pyarrow.fs.FileSystem.from_uri(uri)
    with open(local, "rb") as src, fs.open_output_stream(remote) as out:
        shutil.copyfileobj(src, out, 1 << 20)
    os.unlink(local)


def run_pcaptool(args, staging):
    """The task: one capture through pcaptool into one staging table."""

    def task(item):
        index, uri = item
        tool = args.pcaptool
        if not os.path.isfile(tool):
            tool = SparkFiles.get(os.path.basename(tool))
        mode = os.stat(tool).st_mode
        if not mode & stat.S_IXUSR:
            os.chmod(tool, mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        path, temp = fetch(uri)
        # A private directory: pcaptool writes its temporary file beside the output.
        work = tempfile.mkdtemp(prefix="pcaptool-")
        out = os.path.join(work, "table.parquet")
        try:
            command = [
                tool, "dns", path, "--format", "parquet", "-o", out, "--quiet",
                "--server", args.server, "--server-location", args.server_location,
                "--match-timeout", str(args.match_timeout),
            ]
            done = subprocess.run(command, capture_output=True, text=True)
            # 2 is a capture damaged midway: the table holds every row before the damage.
            if done.returncode not in (0, 2) or not os.path.exists(out):
                raise RuntimeError(f"pcaptool failed on {uri}: {done.stderr.strip()}")
            put(out, f"{staging}/file-{index:06d}.parquet")
            return (uri, done.returncode, done.stderr.strip())
        finally:
            if temp:
                os.unlink(temp)
            shutil.rmtree(work, ignore_errors=True)

    return task


def join_across_files(tables, timeout_s):
    """Rows cut in two by a file boundary, joined; everything else as it was."""
    waiting = tables.where(F.col("unmatched_reason") == "end_of_input").alias("q")
    orphans = tables.where(F.col("unmatched_reason") == "no_query").alias("r")
    q, r = F.col, F.col
    key = (
        (q("q.ip_src") == r("r.ip_dst")) & (q("q.prot_src_port") == r("r.prot_dst_port"))
        & (q("q.ip_dst") == r("r.ip_src")) & (q("q.prot_dst_port") == r("r.prot_src_port"))
        & (q("q.dns_id") == r("r.dns_id"))
        & q("q.dns_qname").eqNullSafe(r("r.dns_qname"))
        & q("q.dns_qtype").eqNullSafe(r("r.dns_qtype"))
        & q("q.dns_qclass").eqNullSafe(r("r.dns_qclass"))
        & (q("q._file") < r("r._file"))
        & (r("r._us") >= q("q._us"))
        & (r("r._us") - q("q._us") <= int(timeout_s * 1_000_000))
    )
    pairs = waiting.join(orphans, key)
    # One response per query (its first), one query per response (its latest).
    first = Window.partitionBy("q._row").orderBy(r("r._us"), r("r._row"))
    pairs = pairs.withColumn("_n", F.row_number().over(first)).where("_n = 1").drop("_n")
    latest = Window.partitionBy("r._row").orderBy(q("q._us").desc(), q("q._row").desc())
    pairs = pairs.withColumn("_n", F.row_number().over(latest)).where("_n = 1").drop("_n")

    columns = []
    for name in tables.columns:
        if name in FROM_QUERY:
            columns.append(F.coalesce(q(f"q.{name}"), r(f"r.{name}")).alias(name))
        elif name in FROM_RESPONSE:
            columns.append(r(f"r.{name}").alias(name))
        elif name == "dns_proc_time_us":
            columns.append((r("r._us") - q("q._us")).alias(name))
        elif name == "dns_proc_time":
            columns.append(F.floor((r("r._us") - q("q._us")) / 1000).cast("int").alias(name))
        elif name == "matched":
            columns.append(F.lit(True).alias(name))
        elif name == "unmatched_reason":
            columns.append(F.lit(None).cast("string").alias(name))
        else:
            columns.append(q(f"q.{name}").alias(name))
    joined = pairs.select(*columns)

    used = pairs.select(q("q._row").alias("_row")).union(pairs.select(r("r._row").alias("_row")))
    rest = tables.join(used, "_row", "left_anti")
    # A waiting query no response joined: 'timeout' when later traffic passed its
    # timeout (as the one-capture run notices), else still waiting at the very end.
    last_us = tables.agg(F.max("_us")).first()[0]
    rest = rest.withColumn(
        "unmatched_reason",
        F.when(
            (F.col("unmatched_reason") == "end_of_input")
            & (F.lit(last_us) - F.col("_us") > int(timeout_s * 1_000_000)),
            F.lit("timeout"),
        ).otherwise(F.col("unmatched_reason")),
    )
    return joined.unionByName(rest.select(*tables.columns)), pairs.count()


def main():
    args = arguments()
    spark = (
        SparkSession.builder.appName("pcaptool dns dataset")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .config("spark.sql.parquet.compression.codec", "zstd")
        .getOrCreate()
    )
    sc = spark.sparkContext
    files = list_files(spark, args.input_dir)
    if not files:
        raise SystemExit(f"no files under {args.input_dir}")
    staging = f"{args.output_dir.rstrip('/')}/{STAGING}/{uuid.uuid4().hex}"
    results = (
        sc.parallelize(list(enumerate(files)), len(files))
        .map(run_pcaptool(args, staging))
        .collect()
    )
    for uri, status, stderr in results:
        if status != 0:
            print(f"spark_dns: {uri}: {stderr}")

    tables = spark.read.parquet(staging)
    # Which file and position each row has, for the join (rows keep their file's order).
    tables = (
        tables.withColumn(
            "_file",
            F.regexp_extract(F.col("_metadata.file_path"), r"file-(\d+)\.parquet", 1).cast("int"),
        )
        .withColumn("_us", F.unix_micros("time"))
        .withColumn("_row", F.monotonically_increasing_id())
    )
    tables = tables.persist()
    tables.count()
    rows, joined = join_across_files(tables, args.match_timeout)
    rows = rows.drop("_file", "_us", "_row").withColumn("date", F.to_date("time"))
    partitions = ["date", "server"] if args.partition_by == "date,server" else ["date"]
    if "server" in partitions:
        # Hive's name for an empty partition value, as pcaptool writes it.
        rows = rows.withColumn("server", F.when(F.col("server") == "", None).otherwise(F.col("server")))
    rows.write.mode("append").partitionBy(*partitions).parquet(args.output_dir)
    total = spark.read.parquet(staging).count()
    print(f"spark_dns: {len(files)} files, {total} rows from pcaptool, {joined} transactions joined across files")

    jvm = sc._jvm
    path = jvm.org.apache.hadoop.fs.Path(f"{args.output_dir.rstrip('/')}/{STAGING}")
    path.getFileSystem(sc._jsc.hadoopConfiguration()).delete(path, True)
    spark.stop()


if __name__ == "__main__":
    main()
