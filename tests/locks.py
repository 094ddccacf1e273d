"""Holding a call's row locks open in another thread, and trying something against them
without waiting: for tests of what waits for what on PostgreSQL."""

import threading

from django.db import OperationalError, connection, transaction


class InFlight:
    """`call` run in a transaction of another thread (its own connection), held open until
    release()."""

    def __init__(self, call):
        self.done, self.release_event, self.error = threading.Event(), threading.Event(), None
        self.thread = threading.Thread(target=self._run, args=(call,))
        self.thread.start()
        assert self.done.wait(20), "the call in flight did not finish"
        if self.error:
            self.thread.join(20)
            raise self.error

    def _run(self, call):
        try:
            with transaction.atomic():
                call()
                self.done.set()
                self.release_event.wait(20)
        except Exception as error:  # handed to the test
            self.error = error
        finally:
            self.done.set()
            connection.close()

    def release(self):
        self.release_event.set()
        self.thread.join(20)


def without_waiting(call):
    """Run `call` giving up after 300 ms of waiting for a lock: its result, or the
    OperationalError that giving up raised."""
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '300ms'")
            return call()
    except OperationalError as error:
        return error
