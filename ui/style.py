"""The chat window's CSS, passed to `gr.mount_gradio_app(..., css=UI_CSS)`.

Gradio 6 takes css at mount/launch time, not in gr.Blocks. Colours use Gradio's theme
variables where one fits, so the page also reads well in dark mode.
"""

UI_CSS = """
/* Gradio 6.31 ships a Source Sans Pro SemiBold subset that lacks letters (C, S, W…), so
   600-weight text mixed in a fallback font; the complete Bold file stands in for it. */
@font-face {
  font-family: 'Source Sans Pro'; font-weight: 600; font-style: normal;
  src: url('static/fonts/SourceSansPro/SourceSansPro-Bold.woff2') format('woff2');
}
.app-title h1 { margin: 0; font-size: 1.55rem; }
.app-title p { margin: .25rem 0 0; color: var(--body-text-color-subdued); }
.cite-demo, a.cite, .src-n {
  display: inline-block; padding: 0 .32em; border-radius: .35em; font-weight: 600;
  font-size: .85em; line-height: 1.45; background: #e0e7ff; color: #3730a3;
}
a.cite { margin: 0 .08em; text-decoration: none !important; color: #3730a3 !important; }
a.cite:hover, a.cite:focus { background: #4f46e5; color: #fff !important; }

/* answers, refusals and errors in the chat */
.answer { line-height: 1.55; }
.answer.streaming::after { content: "▍"; opacity: .6; animation: blink 1s steps(1) infinite; }
@keyframes blink { 50% { opacity: 0; } }
.answer-meta { margin-top: .35rem; font-size: .78em; color: var(--body-text-color-subdued); }
/* sentences the cited passages do not support (rag.answering.support) */
.answer .unsupported { text-decoration: underline dashed #d97706; text-decoration-thickness: 1.5px;
  text-underline-offset: .22em; cursor: help; }
.support-note { margin-top: .35rem; font-size: .82em; color: #b45309; }
.dark .support-note { color: #fbbf24; }
.refusal, .error-msg, .status-ok {
  padding: .5rem .75rem; border-radius: 6px; border-left: 4px solid; line-height: 1.5;
}
.refusal { border-color: #d97706; background: #fffbeb; color: #78350f; }
.related { margin-top: 6px; font-size: 0.9em; color: #57534e; }
.related-head { font-style: italic; }
.related ul { margin: 4px 0 0 18px; padding: 0; }
.related-src { font-family: monospace; font-size: 0.85em; color: #78716c; }
.error-msg { border-color: #dc2626; background: #fef2f2; color: #7f1d1d; }
.status-ok { border-color: #16a34a; background: #f0fdf4; color: #14532d; }
.dark .refusal { background: #3b2a0a; color: #fde68a; }
.dark .error-msg { background: #3b1010; color: #fecaca; }
.dark .status-ok { background: #0f2e1a; color: #bbf7d0; }

/* the sources panel: one group per answer, newest first */
.panel-title h2 { margin: 0 0 .2rem; font-size: 1.1rem; }
#sources-panel { max-height: 700px; overflow-y: auto; padding-right: .25rem; }
.sources-empty { color: var(--body-text-color-subdued); border: 1px dashed
  var(--border-color-primary); border-radius: 8px; padding: .75rem 1rem; }
.sources-empty p { margin: .25rem 0; }
.src-group { margin-bottom: 1rem; }
.src-group + .src-group { opacity: .8; }
.src-group-head { font-weight: 600; margin: 0 0 .45rem; line-height: 1.35; }
.src-q-n { font-size: .75em; text-transform: uppercase; letter-spacing: .04em;
  color: var(--body-text-color-subdued); margin-right: .3rem; }
.src-none { color: var(--body-text-color-subdued); font-style: italic; margin: 0; }
.src-card {
  border: 1px solid var(--border-color-primary); border-left: 4px solid #6366f1;
  border-radius: 8px; padding: .55rem .75rem; margin: 0 0 .6rem;
  background: var(--block-background-fill); scroll-margin-top: .5rem;
}
/* A clicked marker flashes its card. Only a flash: Gradio updates the panel in place, so
   a lasting :target style could stay on a node that now holds another answer's card. */
.src-card:target { animation: flash 2s ease-out; }
@keyframes flash { from { background: #e0e7ff; box-shadow: 0 0 0 3px #a5b4fc; } }
.src-head { display: flex; gap: .5rem; align-items: baseline; }
.src-name { flex: 1; font-weight: 600; overflow-wrap: anywhere; }
.src-score { font-size: .8em; color: var(--body-text-color-subdued);
  font-variant-numeric: tabular-nums; white-space: nowrap; }
.src-meta { margin-top: .1rem; font-size: .82em; color: var(--body-text-color-subdued); }
.src-meta a.src-site { color: inherit; text-decoration: underline dotted; }
.src-passage { margin: .4rem 0 0; font-size: .9em; line-height: 1.5; white-space: pre-line;
  color: var(--body-text-color-subdued); }
.src-passage mark { background: #fde68a; color: #1f2937; padding: .05em .1em;
  border-radius: 3px; }
/* the short answer inside the cited span (citation answer_start/answer_end): a deeper amber
   with an underline and bold, so it stands apart from the span's own highlight even without
   colour; both colours are set, so it reads the same on the light and the dark theme */
.src-passage mark.answer-value { background: #f59e0b; color: #111827; font-weight: 600;
  padding: 0 .12em; box-shadow: inset 0 -2px 0 #b45309; }

/* documents tab (the table's cells default to the monospace font) */
#docs-table td, #docs-table th, #docs-table td *, #docs-table th * { font-family: var(--font); }
.docs-count { margin: 0; }
.ingest-report { list-style: none; padding: 0; margin: .25rem 0; }
.ingest-report li { padding: .15rem 0; }
.ingest-outcome { display: inline-block; min-width: 5.5em; font-weight: 600;
  font-size: .8em; text-transform: uppercase; }
.ingest-added .ingest-outcome { color: #15803d; }
.ingest-updated .ingest-outcome { color: #1d4ed8; }
.ingest-unchanged .ingest-outcome, .ingest-removed .ingest-outcome {
  color: var(--body-text-color-subdued); }
.ingest-skipped .ingest-outcome, .ingest-reason { color: #b91c1c; }
"""
