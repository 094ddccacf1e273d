"""The API's page-number pagination."""

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination

MAX_PAGE = 1_000_000  # at the largest page size, an offset far inside PostgreSQL's bigint


class Pages(PageNumberPagination):
    """Ninja's page numbers, with a highest page: a page number past it is refused (422,
    "page: This value is not valid."), where its offset overflowed PostgreSQL's bigint and
    SQLite's integer, a server error."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1)
