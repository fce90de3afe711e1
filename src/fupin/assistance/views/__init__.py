"""The assistance pages, by subject: people (helpers, pairings, links, teams), work
(plans, measures, visits, 六清, coverage), posts, exchange (Excel in and out)."""
