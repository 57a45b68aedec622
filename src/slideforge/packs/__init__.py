"""Image packs: CRUD, images, search over names and image metadata, metadata workflow."""
