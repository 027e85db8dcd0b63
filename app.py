"""Entry point (``python -m streamlit run app.py``): the router of every page, see ui.navigation."""

from ui import navigation

navigation.run()
