"""Rules of products. Products made with a workspace key are shared by the workspace;
products made with a personal key belong to that member."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from slideforge.auth.service import Caller
from slideforge.kit.clock import isoformat
from slideforge.kit.envelope import Deleted
from slideforge.kit.errors import ApiError, invalid_payload, not_found
from slideforge.kit.ids import parse_id
from slideforge.kit.pagination import fetch_page, newest_first, text_search
from slideforge.models import Product
from slideforge.products.schemas import ProductCreate, ProductList, ProductOut, ProductUpdate


def product_out(row: Product) -> ProductOut:
    return ProductOut(
        id=row.id,
        name=row.name,
        description=row.description,
        url=row.url,
        scope="personal" if row.member_id else "workspace",
        created_at=isoformat(row.created_at),
        updated_at=isoformat(row.updated_at),
    )


def _visible(caller: Caller) -> sa.ColumnElement[bool]:
    return sa.and_(
        Product.workspace_id == caller.workspace_id,
        sa.or_(Product.member_id.is_(None), Product.member_id == caller.member_id),
    )


def _get(session: Session, caller: Caller, product_id: object) -> Product:
    parsed = parse_id(product_id)
    row = session.scalar(sa.select(Product).where(Product.id == parsed, _visible(caller)))
    if parsed is None or row is None:
        raise not_found("product", "product_not_found")
    return row


def check_reference(session: Session, caller: Caller, product_id: object) -> uuid.UUID:
    """Validate a ``product_id`` sent in another resource's body."""
    parsed = parse_id(product_id)
    if parsed is None:
        raise invalid_payload("product_id", "must be a UUID")
    row = session.scalar(
        sa.select(Product).where(Product.id == parsed, Product.workspace_id == caller.workspace_id)
    )
    if row is None:
        raise ApiError("product_not_found", f"product {parsed} not found", 404)
    if row.member_id is not None and row.member_id != caller.member_id:
        raise ApiError(
            "forbidden_product_access",
            f"product {parsed} belongs to another member's personal scope",
            403,
        )
    return row.id


def list_products(
    session: Session, caller: Caller, *, limit: int, offset: int, search: str | None
) -> ProductList:
    query = sa.select(Product).where(_visible(caller), text_search(search, Product.name))
    total, rows = fetch_page(session, query, *newest_first(Product), limit=limit, offset=offset)
    return ProductList(
        products=[product_out(r) for r in rows], total=total, limit=limit, offset=offset
    )


def get_product(session: Session, caller: Caller, product_id: object) -> ProductOut:
    return product_out(_get(session, caller, product_id))


def create_product(session: Session, caller: Caller, body: ProductCreate) -> ProductOut:
    row = Product(
        workspace_id=caller.workspace_id,
        member_id=caller.member_id,
        name=body.name,
        description=body.description,
        url=body.url,
    )
    session.add(row)
    session.flush()
    return product_out(row)


def update_product(
    session: Session, caller: Caller, product_id: object, body: ProductUpdate
) -> ProductOut:
    fields = body.model_dump(exclude_unset=True)
    if not fields:
        raise invalid_payload("body", "send at least one of name, description, url")
    if "name" in fields and fields["name"] is None:
        raise invalid_payload("name", "cannot be null")
    row = _get(session, caller, product_id)
    for key, value in fields.items():
        setattr(row, key, value)
    session.flush()
    return product_out(row)


def delete_product(session: Session, caller: Caller, product_id: object) -> Deleted:
    row = _get(session, caller, product_id)
    session.delete(row)
    session.flush()
    return Deleted(id=row.id)
