"""HTTP of /products."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from slideforge.auth.deps import CallerDep, SessionDep
from slideforge.kit.envelope import Deleted, Envelope, respond
from slideforge.kit.pagination import PageDep, SearchQuery
from slideforge.products import service
from slideforge.products.schemas import ProductCreate, ProductList, ProductOut, ProductUpdate

router = APIRouter(tags=["products"])


@router.get("/products", response_model=Envelope[ProductList])
def list_products(
    caller: CallerDep,
    session: SessionDep,
    page: PageDep,
    search: SearchQuery = None,
) -> JSONResponse:
    result = service.list_products(
        session, caller, limit=page.limit, offset=page.offset, search=search
    )
    return respond(result)


@router.post("/products", status_code=201, response_model=Envelope[ProductOut])
def create_product(body: ProductCreate, caller: CallerDep, session: SessionDep) -> JSONResponse:
    return respond(service.create_product(session, caller, body), "Product created", 201)


@router.get("/products/{product_id}", response_model=Envelope[ProductOut])
def get_product(product_id: str, caller: CallerDep, session: SessionDep) -> JSONResponse:
    return respond(service.get_product(session, caller, product_id))


@router.patch("/products/{product_id}", response_model=Envelope[ProductOut])
def update_product(
    product_id: str, body: ProductUpdate, caller: CallerDep, session: SessionDep
) -> JSONResponse:
    return respond(service.update_product(session, caller, product_id, body), "Product updated")


@router.delete("/products/{product_id}", response_model=Envelope[Deleted])
def delete_product(product_id: str, caller: CallerDep, session: SessionDep) -> JSONResponse:
    return respond(service.delete_product(session, caller, product_id), "Product deleted")
