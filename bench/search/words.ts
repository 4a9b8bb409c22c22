/** The words every side of bench/search builds its rows from (titles 4 words, bodies 12). */
export const WORDS: readonly string[] = 'rocket launch fuel engine orbit cat dog car tea bread garden water report plan budget review merger secret coffee board valve stars moon planet'.split(' ')
