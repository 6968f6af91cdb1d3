// The Spanish catalogue: English sentence → Spanish sentence, one part per area of the site so
// that each part stays readable.  Loaded by i18n.js only for Spanish readers.
import common from './es/common.js';
import counsel from './es/counsel.js';
import directory from './es/directory.js';
import family from './es/family.js';
import investigate from './es/investigate.js';
import messages from './es/messages.js';
import money from './es/money.js';
import retention from './es/retention.js';
import staff from './es/staff.js';
import tablet from './es/tablet.js';
import security from './es/security.js';
import video from './es/video.js';
import visits from './es/visits.js';

export default Object.freeze({ ...common, ...counsel, ...directory, ...family, ...investigate, ...messages, ...money, ...staff, ...tablet, ...retention, ...security, ...visits, ...video });
