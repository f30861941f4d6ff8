"""workers/runtime/transport.py: kombu's Redis transport with one client object per connection pool."""

import pytest
import redis
from kombu import Connection
from kombu.common import ignore_errors

from workers.runtime.app import create_app
from workers.runtime.transport import Channel


def test_the_app_uses_the_transport_and_a_channel_reuses_its_client(settings):
    app = create_app(settings)
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        assert isinstance(channel, Channel) and connection.as_uri().startswith("redis://")
        first = channel._create_client()
        assert channel._create_client() is first
        with channel.conn_or_acquire() as client:
            assert client is first and client.ping()


def test_a_new_pool_gets_a_new_client(settings):
    with Connection(settings.redis_url.get_secret_value()) as connection:  # redis:// resolves to ours
        channel = connection.default_channel
        before = channel._create_client()
        channel._disconnect_pools()  # what kombu does after a connection error
        after = channel._create_client()
        assert after is not before and after.connection_pool is channel.pool and after.ping()


def test_messages_round_trip_through_the_transport(settings):
    with Connection(settings.redis_url.get_secret_value()) as connection:
        queue = connection.SimpleQueue("transport-test")
        queue.put({"id": "x", "body": ["نص"]}, serializer="json")
        message = queue.get(timeout=5)
        assert message.payload == {"id": "x", "body": ["نص"]}
        message.ack()
        queue.close()


def test_a_channel_asked_for_a_client_after_its_connection_closed_raises_what_celery_ignores(settings):
    """Celery closes a lost connection inside kombu's ignore_errors, which ignores the transport's connection
    errors; kombu's own AttributeError there used to escape it and stop the worker."""
    connection = Connection(settings.redis_url.get_secret_value())
    channel = connection.default_channel
    connection.transport.client = None  # where kombu leaves a released connection's transport
    with pytest.raises(redis.ConnectionError):
        channel._create_client()
    ignore_errors(connection, channel._create_client)  # swallowed there: the worker goes on to reconnect
