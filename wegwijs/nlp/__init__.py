"""Dutch language processing for Rasa: the spaCy pipeline Wegwijs builds and the NLU components."""
