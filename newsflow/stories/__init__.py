"""Stories: which articles are copies of one another (copies.py) and which tell the same story, in any language
(similarity.py); the cluster stage (stage.py) applies both, with the shared state in newsflow/state/stories.py."""
