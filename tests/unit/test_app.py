"""The Celery app's wire and reliability settings, the serializer, worker logging, and the task adapters' error
mapping."""

import logging

import pytest
import redis
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import after_setup_logger
from kombu.serialization import dumps, loads
from pydantic import SecretStr, ValidationError

from config import Settings
from newsflow.errors import EmptyExtraction, TransientError
from newsflow.schema import Article
from newsflow.stages import PIPELINE, task_name
from newsflow.state.replication import NotReplicated
from workers.runtime import logs
from workers.runtime.app import celery_config, create_app, shown_as
from workers.runtime.logs import JsonFormatter
from workers.runtime.policy import classify

STAGES = PIPELINE.names
NO_REDIS = "redis://127.0.0.1:1/0"  # never connected: building an app connects to nothing


@pytest.fixture(scope="module")
def app():
    return create_app(Settings(redis_url=NO_REDIS))


def test_no_pickle_on_the_wire(app):
    assert set(app.conf.accept_content) == {"orjson", "json"}
    assert app.conf.task_serializer == app.conf.result_serializer == "orjson"


def test_orjson_serializer_round_trips_a_celery_body(app):
    body = ([{"id": "a", "body": ["نص"]}], {}, {"callbacks": None, "chain": None})
    content_type, encoding, payload = dumps(body, serializer="orjson")
    assert content_type == "application/x-orjson" and isinstance(payload, bytes)
    assert loads(payload, content_type, encoding) == [list(body[0]), body[1], body[2]]


def test_reliability_defaults(app):
    conf = app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost and conf.task_ignore_result
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_soft_time_limit < conf.task_time_limit < conf.broker_transport_options["visibility_timeout"]


def test_ingest_and_each_stage_have_their_own_queue_exchange_and_key(app):
    bindings = {(q.name, q.exchange.name, q.routing_key) for q in app.conf.task_queues}
    assert bindings == {(f"newsflow.{s}",) * 3 for s in ("ingest", *STAGES)}
    for stage in ("ingest", *STAGES):
        assert app.amqp.router.route({}, f"newsflow.{stage}")["queue"].name == f"newsflow.{stage}"


def test_each_stage_has_its_task_and_knows_the_next(app):
    assert [task_name(s) for s in STAGES] == [
        "newsflow.extract",
        "newsflow.translate",
        "newsflow.tag",
        "newsflow.cluster",
        "newsflow.publish",
    ]
    assert shown_as({"id": "a"})["argsrepr"] == "(<article a>,)"  # not a repr of the whole record
    following = [PIPELINE.after(s) for s in STAGES]
    assert [stage.name if stage else None for stage in following] == ["translate", "tag", "cluster", "publish", None]


@pytest.mark.parametrize(
    ("exc", "transient", "reason"),
    [
        (TransientError("busy"), True, "busy"),
        (redis.ConnectionError("refused"), True, "redis unavailable"),
        (redis.ReadOnlyError("You can't write against a read only replica."), True, "redis unavailable"),
        (NotReplicated("0 of 1 replica(s) confirmed"), True, "redis unavailable"),
        (EmptyExtraction("nothing here"), False, "nothing here"),
        (SoftTimeLimitExceeded(), False, "time limit"),
        (KeyError("x"), False, "unexpected KeyError"),
    ],
)
def test_exceptions_map_onto_the_error_tree(exc, transient, reason):
    failure = classify(exc)
    assert failure.transient is transient and reason in failure.reason


def test_a_sentinel_app_names_the_master_and_passes_the_sentinels_password():
    settings = Settings(redis_url=SecretStr("sentinel://:master-pw@s1:26379/0;sentinel://s2:26379"),
                        redis_sentinel_master="newsflow", redis_sentinel_password=SecretStr("sentinel-pw"))  # fmt: skip
    options = celery_config(settings, PIPELINE)["broker_transport_options"]
    assert (options["master_name"], options["sentinel_kwargs"]) == ("newsflow", {"password": "sentinel-pw"})
    assert options["newsflow_replication"].replicas == 1, "with Sentinel every write waits for one replica"
    assert options["newsflow_holders"].lapse_s == 3 * settings.worker_heartbeat_s
    plain = celery_config(Settings(redis_url=SecretStr("redis://r:6379/0")), PIPELINE)["broker_transport_options"]
    assert "master_name" not in plain and plain["newsflow_replication"].replicas == 0


def test_a_malformed_message_is_permanent():
    with pytest.raises(ValidationError) as info:
        Article.model_validate({"id": 1})
    failure = classify(info.value)
    assert not failure.transient and failure.reason.startswith("malformed message")


def test_events_and_recycling_follow_the_settings():
    settings = Settings(redis_url=NO_REDIS, task_events=True, max_tasks_per_child=7, max_memory_per_child_mb=100)
    conf = create_app(settings).conf
    assert conf.worker_send_task_events and not conf.task_send_sent_event
    assert (conf.worker_max_tasks_per_child, conf.worker_max_memory_per_child) == (7, 100 * 1024)
    assert create_app(Settings(redis_url=NO_REDIS, task_sent_events=True)).conf.task_send_sent_event


def _setup_logger(logger: logging.Logger) -> list:
    """What Celery does when a worker configures its logger; the exceptions its handlers raised."""
    answers = after_setup_logger.send(sender=None, logger=logger, loglevel=logging.INFO, logfile=None, format="",
                                      colorize=False)  # fmt: skip
    return [answer for _, answer in answers if isinstance(answer, Exception)]


def test_worker_logs_follow_the_log_format():
    text = logging.getLogger("newsflow.test.text")
    text.addHandler(logging.StreamHandler())
    logs.install(Settings(log_format="text"))
    assert not _setup_logger(text) and not isinstance(text.handlers[0].formatter, JsonFormatter)
    logger = logging.getLogger("newsflow.test.worker")
    logger.addHandler(logging.StreamHandler())
    logs.install(Settings(log_format="json"))
    assert not _setup_logger(logger) and isinstance(logger.handlers[0].formatter, JsonFormatter)


def test_building_an_app_hooks_nothing_into_other_apps_workers():
    """Only a newsflow worker (workers/runtime/worker.py) installs its logging: benchmarks/noop_chain.py runs
    another app's worker in a process that built newsflow apps."""
    before = len(after_setup_logger.receivers)
    create_app(Settings(redis_url=NO_REDIS, log_format="json"))
    assert len(after_setup_logger.receivers) == before
