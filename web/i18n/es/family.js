// Spanish for the family pages (see ../es.js).  Keys are the English sentences, as written in t().
export default {
};
