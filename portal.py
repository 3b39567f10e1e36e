"""The portal as a server: `streamlit run portal.py` serves Home.py plus our own routes.

Streamlit's `st.App` runs the app as usual and adds our own routes on the same host: the two
in components/session_cookie.py set and delete the login cookie from the server, so that it
can be `HttpOnly`; the one in components/stream_download.py streams big exports.
"""

from __future__ import annotations

import streamlit as st

from components import session_cookie, stream_download

app = st.App("Home.py", routes=session_cookie.routes() + stream_download.routes())
