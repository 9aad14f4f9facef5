"""The page's socket client uses the server's table of requests, and only it.

Every page receives the request → answer map (and which requests are carried out in order)
from the server in its widget context; the client keeps no list of its own. Here, in Chromium,
the table the live socket holds is compared with the server's models, and every request type
in it is sent through the page's own socket with a setting no model has: the server knows each
type and refuses only that setting (so no training starts and nothing is computed).
"""

from __future__ import annotations

import pytest

from app.features import TABLE

from .widgets.playground_helpers import open_playground

# Sent with a setting no request has: a known type is refused by that field, an unknown one by its type.
SEND_ALL = """async () => {
  const socket = window.convscope.socket;
  const out = {};
  for (const type of Object.keys(socket.protocol)) {
    try {
      const answer = await socket.request(type, {not_a_setting: 1}, "protocol-test");
      out[type] = {answered: answer.type};
    } catch (e) {
      out[type] = {refused: e.code, field: e.field};
    }
  }
  return out;
}"""


@pytest.fixture
def playground(page, server_url):
    open_playground(page, server_url)
    return page


def test_the_socket_holds_the_servers_request_table(playground):
    table = playground.evaluate("window.convscope.socket.protocol")
    assert table == {t: {"answer": m.answer, "ordered": m.ordered} for t, m in TABLE.messages.items()}


def test_every_request_in_the_table_is_known_to_the_server(playground):
    results = playground.evaluate(SEND_ALL)
    assert set(results) == set(TABLE.messages)
    for type_, got in results.items():
        assert "refused" in got and got["refused"] != "unknown_type", (type_, got)
        assert got["field"] == "not_a_setting", (type_, got)


def test_a_type_the_server_does_not_list_is_refused_by_the_page(playground):
    code = playground.evaluate("window.convscope.socket.request('conv.nothing', {}).catch((e) => e.code)")
    assert code == "unknown_type"
