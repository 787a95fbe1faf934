"""/api/docs/ works without the internet: Swagger UI's files come from the app itself."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def asset_urls(html: str) -> list[str]:
    return re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', html)


def test_the_api_docs_load_only_same_origin_scripts_and_styles_and_each_answers_200():
    browser = Client()
    page = browser.get("/api/docs/")

    assert page.status_code == 200
    html = page.content.decode()
    urls = asset_urls(html)
    assert any(url.endswith("swagger-ui-bundle.js") for url in urls)
    assert any(url.endswith("swagger-ui.css") for url in urls)
    for url in urls:
        assert url.startswith("/"), url
        assert not url.startswith("//"), url
        assert browser.get(url).status_code == 200, url
    assert "cdn" not in html.lower()


def test_the_page_points_swagger_ui_at_the_schema(anon):
    page = anon.get("/api/docs/")

    assert '"/api/schema/"' in page.content.decode()
