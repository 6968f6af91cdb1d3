// Spanish for the directory pages: search and facility (see ../es.js).  Keys are the English sentences, as written in t().
export default {
};
