"""The portal as a server: `streamlit run portal.py` serves Home.py plus the cookie routes.

Streamlit's `st.App` runs the app as usual and adds our own routes on the same host; the two
in components/session_cookie.py set and delete the login cookie from the server, so that it
can be `HttpOnly`.
"""

from __future__ import annotations

import streamlit as st

from components import session_cookie

app = st.App("Home.py", routes=session_cookie.routes())
