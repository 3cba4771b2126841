"""Confluence storage format -> clean text with headings (shared by XML exports and live sync)."""

from __future__ import annotations

from indexer.loaders.storage_format import storage_sections, storage_text


def test_headings_build_the_heading_path_of_each_section() -> None:
    sections = storage_sections("<h1>Leave</h1><p>Intro.</p><h2>Parental</h2><p>16 weeks paid.</p>")

    assert [(s.headings, s.text) for s in sections] == [
        (("Leave",), "Intro."),
        (("Leave", "Parental"), "16 weeks paid."),
    ]


def test_code_macro_keeps_its_code_and_drops_its_parameters() -> None:
    body = (
        '<ac:structured-macro ac:name="code" ac:schema-version="1">'
        '<ac:parameter ac:name="language">bash</ac:parameter>'
        '<ac:parameter ac:name="theme">Midnight</ac:parameter>'
        "<ac:plain-text-body><![CDATA[vpn connect --profile <office>\nvpn status]]>"
        "</ac:plain-text-body></ac:structured-macro>"
    )

    text = storage_text(body)

    assert text == "vpn connect --profile <office>\nvpn status"


def test_info_note_and_warning_panels_are_labelled_and_keep_their_text() -> None:
    body = (
        '<ac:structured-macro ac:name="warning"><ac:parameter ac:name="title">Deadline'
        "</ac:parameter><ac:rich-text-body><p>Enrol within 30 days.</p></ac:rich-text-body>"
        '</ac:structured-macro><ac:structured-macro ac:name="info"><ac:parameter '
        'ac:name="icon">true</ac:parameter><ac:rich-text-body><p>Dental is included.</p>'
        "</ac:rich-text-body></ac:structured-macro>"
    )

    assert storage_text(body).splitlines() == [
        "Warning: Deadline",
        "Enrol within 30 days.",
        "Info:",
        "Dental is included.",
    ]


def test_tables_render_row_by_row() -> None:
    body = (
        "<table><tbody><tr><th>Plan</th><th>Cost</th></tr>"
        "<tr><td>Basic</td><td>$0</td></tr></tbody></table>"
    )

    assert storage_text(body).splitlines() == ["Plan | Cost", "Basic | $0"]


def test_page_links_read_as_the_page_title_and_attachments_as_the_file_name() -> None:
    body = (
        '<p>See <ac:link><ri:page ri:content-title="Expense policy" /></ac:link> and '
        '<ac:link><ri:attachment ri:filename="rates.pdf" /></ac:link>, or '
        '<ac:link><ri:page ri:content-title="Travel" /><ac:plain-text-link-body>'
        "<![CDATA[the travel page]]></ac:plain-text-link-body></ac:link>.</p>"
    )

    assert storage_text(body) == "See Expense policy and rates.pdf, or the travel page."


def test_mentions_and_emoticons_read_as_text() -> None:
    body = (
        '<p>Ask <ac:link><ri:user ri:userkey="8a7f" /></ac:link> '
        '<ac:emoticon ac:name="smile" /> or '
        '<ac:link><ri:user ri:account-id="5b10" /></ac:link> '
        '<ac:emoticon ac:name="thumbs-up" ac:emoji-fallback="👍" /></p>'
    )

    sections = storage_sections(body, {"8a7f": "Dana Reyes"}.get)

    assert sections[0].text == "Ask @Dana Reyes :smile: or @user 👍"


def test_navigation_macros_images_and_placeholders_say_nothing() -> None:
    body = (
        '<ac:structured-macro ac:name="toc"><ac:parameter ac:name="maxLevel">2'
        "</ac:parameter></ac:structured-macro>"
        '<p><ac:image><ri:attachment ri:filename="logo.png" /></ac:image>'
        "<ac:placeholder>Type your summary here</ac:placeholder>Welcome.</p>"
        '<ac:link><ri:page ri:content-title="Next" /><ac:link-body><ac:image>'
        '<ri:attachment ri:filename="next.png" /></ac:image></ac:link-body></ac:link>'
    )

    assert storage_text(body) == "Welcome."


def test_layouts_task_lists_and_nested_macros_keep_their_text() -> None:
    body = (
        "<ac:layout><ac:layout-section><ac:layout-cell>"
        '<ac:structured-macro ac:name="expand"><ac:parameter ac:name="title">Details'
        '</ac:parameter><ac:rich-text-body><ac:structured-macro ac:name="note">'
        "<ac:rich-text-body><p>Inside a note.</p></ac:rich-text-body></ac:structured-macro>"
        "</ac:rich-text-body></ac:structured-macro>"
        "<ac:task-list><ac:task><ac:task-id>1</ac:task-id><ac:task-status>complete"
        "</ac:task-status><ac:task-body>Sign the contract</ac:task-body></ac:task>"
        "<ac:task><ac:task-id>2</ac:task-id><ac:task-status>incomplete</ac:task-status>"
        "<ac:task-body>Order a laptop</ac:task-body></ac:task></ac:task-list>"
        "</ac:layout-cell></ac:layout-section></ac:layout>"
    )

    assert storage_text(body).splitlines() == [
        "Details",
        "Note:",
        "Inside a note.",
        "- [x] Sign the contract",
        "- [ ] Order a laptop",
    ]
