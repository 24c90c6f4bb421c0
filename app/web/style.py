"""The pages' one small stylesheet: readable type, full-width fields, clear focus; no external assets."""

# Inline on purpose: the pages load nothing from elsewhere, so no third party learns who opened them.
CSS = """
body { font: 17px/1.55 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; background: #fff;
       margin: 0; }
main { max-width: 42rem; margin: 0 auto; padding: 2rem 1.25rem 4rem; }
h1 { font-size: 1.8rem; margin: 0 0 .5rem; }
label, legend { display: block; font-weight: 600; margin-top: 1.4rem; }
fieldset { border: 1px solid #d0d7de; border-radius: 6px; padding: .5rem 1rem 1rem; margin-top: 1.4rem; }
fieldset label { display: inline; font-weight: normal; margin: 0 0 0 .4rem; }
fieldset input[type=checkbox] { margin-top: .8rem; }
input[type=text], input[type=url], textarea, select { display: block; width: 100%; box-sizing: border-box;
       font: inherit; padding: .5rem .6rem; border: 1px solid #8c959f; border-radius: 6px; margin-top: .35rem; }
textarea { min-height: 10rem; }
button { font: inherit; font-weight: 600; margin-top: 1.6rem; padding: .6rem 1.2rem; border-radius: 6px;
       border: 1px solid #1a7f37; background: #1f883d; color: #fff; cursor: pointer; }
:focus-visible { outline: 3px solid #0969da; outline-offset: 2px; }
[role=alert] { border: 1px solid #cf222e; background: #ffebe9; border-radius: 6px; padding: .5rem 1rem; }
p, li { max-width: 40rem; }
pre { white-space: pre-wrap; background: #f6f8fa; padding: .75rem; border-radius: 6px; }
header { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: center; gap: .5rem;
       max-width: 42rem; margin: 0 auto; padding: .75rem 1.25rem 0; }
header nav a { margin-right: 1rem; }
header button, .signout button { margin-top: 0; padding: .3rem .8rem; background: #fff; color: #1f2328;
       border-color: #8c959f; }
a { color: #0550ae; }
.messages { list-style: none; padding: 0; }
.messages li { border: 1px solid #d0d7de; border-radius: 6px; padding: .5rem 1rem; margin: 1rem 0;
       overflow-wrap: anywhere; }
.messages li.mine { background: #f6f8fa; }
.messages .who { font-weight: 600; margin: 0; }
[role=status] { border: 1px solid #1a7f37; background: #dafbe1; border-radius: 6px; padding: .5rem 1rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; border-bottom: 1px solid #d0d7de; padding: .35rem .5rem; vertical-align: top; }
.scroll { overflow-x: auto; }
"""
