"""The zone's rivers and their water quality (河长制 · 水质监测): rivers, monitoring sections (断面) with their
target class (考核目标), monthly readings entered by the responsible department, the status computed from the
readings (this month against the target, the run of years better than it, the trend), and the problems found
on river patrols linked to their section.

`models` (imported by `problems.models`, so the rows are the problems app's), `standard` (GB 3838-2002: the
classes and the limits of the key indicators), `services` (every write), `status` (what is computed from the
readings), `spreadsheet` (a month's readings from Excel), `views`, `forms`, `api`, `admin`, `notices`.
"""
