// Spanish for video messages (web/video.js, and where thread.js, review.js and labels.js show them).
export default {
  'Video message': 'Mensaje de video',
  'Video message to review': 'Mensaje de video para revisar',
  'Length: {time}.': 'Duración: {time}.',
  'No captions: the sender recorded this video themselves.': 'Sin subtítulos: quien lo envió grabó este video.',
  'Camera preview': 'Vista de la cámara',
  'Your recorded video, before you send it': 'Su video grabado, antes de enviarlo',
  'Choose a video file': 'Elegir un archivo de video',
  'Record a video': 'Grabar un video',
  'Record again': 'Grabar otra vez',
  'Stop recording': 'Detener la grabación',
  'Remove the video': 'Quitar el video',
  'This file is not a WebM, MP4 or MOV video. Choose another, or record one here.':
    'Este archivo no es un video WebM, MP4 ni MOV. Elija otro, o grabe uno aquí.',
  'This video is bigger than {mb} MB. Choose a shorter one.': 'Este video pesa más de {mb} MB. Elija uno más corto.',
  'Preparing the video…': 'Preparando el video…',
  'Uploading the video… {percent}%': 'Subiendo el video… {percent}%',
  'Video ready to send ({time}).': 'Video listo para enviar ({time}).',
  'This video could not be uploaded. Remove it and try again.': 'No se pudo subir este video. Quítelo e intente de nuevo.',
  'Kite could not use your camera and microphone. Allow them in your browser, or choose a video file.':
    'Kite no pudo usar su cámara y su micrófono. Permítalos en su navegador, o elija un archivo de video.',
  'Recording: {time} left': 'Grabando: quedan {time}',
  'Recording. It stops by itself after {n} seconds.': 'Grabando. Se detiene sola después de {n} segundos.',
  'One video of up to {n} seconds. Only the two of you can see it.': 'Un video de hasta {n} segundos. Solo ustedes dos pueden verlo.',
  'One video of up to {n} seconds. Staff see it before it is delivered.':
    'Un video de hasta {n} segundos. El personal lo ve antes de entregarlo.',
  'Stop the recording first.': 'Primero detenga la grabación.',
  'Wait until the video has finished uploading.': 'Espere a que el video termine de subirse.',
  'The video could not be added. Remove it, then send.': 'No se pudo agregar el video. Quítelo y luego envíe.',
  'Video messages': 'Mensajes de video',
  'Allowed, one of up to 30 seconds per message': 'Permitidos, uno de hasta 30 segundos por mensaje',
  'Not allowed': 'No permitidos',
};
