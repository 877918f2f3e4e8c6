/* Internals shared by the files of plans/. */
#ifndef HL_PLANS_INT_H
#define HL_PLANS_INT_H

/* A text as plans are read and matched: folded (no tones, lower case, đ as d), every run of
 * spaces (a no-break space too) one space, – — − as '-', no space at either end. malloc'd; NULL
 * when it is not UTF-8 (the error set by the text module). */
char *hl_plans__fold(const char *text);

#endif
