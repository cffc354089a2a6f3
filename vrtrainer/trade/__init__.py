"""Trade: tool and hand metrics that scenario packs declare, and the bundled packs' motions."""
