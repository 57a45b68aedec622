"""The MCP server (Model Context Protocol) for agent hosts: Streamable HTTP at ``/mcp``
(``http.py``, mounted by ``app.create_app``) and stdio (``slideforge mcp --stdio``). Its tools
call the HTTP API in-process (``rest.py``), so every rule stays in the services."""
