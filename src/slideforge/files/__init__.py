"""Media files: the presigned upload flow, listing, and serving stored media."""
