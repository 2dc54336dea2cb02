/*
 * why.h - `tidings show ID --why`: why each item is in its story.
 */
#ifndef TIDINGS_WHY_H
#define TIDINGS_WHY_H

#include <jansson.h>

#include "output.h"

/* Prints, per item, the clustering score and the main shared terms. */
void	output_story_why(const struct out *, const json_t *story);

#endif
