// Spanish for the staff pages (see ../es.js).  Keys are the English sentences, as written in t().
export default {
};
