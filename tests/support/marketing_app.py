"""A tiny app for AppTest: one view of components/marketing_more.py for the logged-in user.

The Marketing page's view switch belongs to the page; these views are tested on their own:
session state `auth_user_id` (as after a login) and `view` (keywords, price_position,
guides). The databases come from the environment, as in tests/support/app.py.
"""

from pathlib import Path

import streamlit as st

from components import marketing_more, session
from data.access.users import load_user
from marketing import guides

# A test may put its own Ratgeber files in place of content/ratgeber.
if "guide_root" in st.session_state:
    guides.CONTENT_DIR = Path(st.session_state["guide_root"])

db = session.databases()
user = load_user(db, user_id=int(st.session_state["auth_user_id"]))
assert user is not None
ctx = session.PageContext(
    db=db, user=user, viewer=session.viewer_for(user), settings=session.settings()
)
view = st.session_state.get("view", "keywords")
getattr(marketing_more, f"render_{view}")(ctx)
