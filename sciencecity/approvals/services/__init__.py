"""Every write of bundled approval, one function per action (ARCHITECTURE.md rule 1).

- `applications`: start, answer the situation questions, fill the merged form, provide materials, submit,
  withdraw, cancel.
- `intake`: the window's verdicts and the four outcomes; tolerated gaps supplied later.
- `review`: splitting into department tasks, claim, opinions, site inspections, decisions, supplements,
  reassignment, extension, and conclusion when every task is decided.
- `certificates`: issuing, PDF rendering, reuse (免提交); `delivery`; `ratings`.
- `deadlines`: traffic lights, warnings and escalation (run by a background task).
(The in-app messages every step sends go through `sciencecity.notifications.services.notify`.)

Each function runs in one transaction, locks what it changes, checks the transition table, audits, and sends
follow-up work after commit.
"""
