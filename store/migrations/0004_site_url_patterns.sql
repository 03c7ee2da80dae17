-- URL patterns per site (`/product/*`): the pages a heatmap or a page list takes as one page.
ALTER TABLE sites ADD COLUMN IF NOT EXISTS url_patterns Array(String) AFTER honour_dnt;
